"""Contact and help (R-HLP-1): agents' messages and the operators' answers (R-OPS-5)."""
