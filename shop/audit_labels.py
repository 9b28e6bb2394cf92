"""French words of the audit log (R-OPS-6): every action code recorded by ``audit.record``
has its label here, so the staff read « Commande payée », not ``order.paid``.

One dict per kind of word, in one module every domain may import: a new action gets its
line in ``ACTION_LABELS`` (a unit test lists the ``audit.record`` calls of every package and
fails on a code without a label). Values (statuses, amounts, dates) are put in words by the
support domain's presenter, which may read each domain's own labels.
"""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    # Orders and payments
    "order.placed": "Commande passée",
    "order.paid": "Commande payée",
    "order.cancelled": "Commande annulée",
    "order.cheque_registered": "Chèque enregistré",
    "order.refund_transfer_done": "Virement de remboursement effectué",
    "order.late_payment_refunded": "Paiement tardif remboursé",
    "order.withdrawn": "Article retourné (rétractation)",
    "order.refunded": "Commande remboursée",
    "order.confirmation_resent": "Confirmation de commande renvoyée",
    "order.payment_link_sent": "Lien de paiement envoyé",
    "payment_link.resent": "Lien de paiement renvoyé",
    "payment_link.renewed": "Lien de paiement renouvelé",
    "order.letter_printed": "Courrier imprimé",
    "order.shipped": "Commande expédiée",
    "payment.capture_failed": "Encaissement par carte échoué",
    "shipment.tracking_corrected": "Numéro de suivi corrigé",
    "event.cancelled": "Événement annulé",
    "event.cancellation_summary": "Bilan d'annulation d'événement",
    # E-billets
    "eticket.reissued": "Billet réémis",
    "eticket.scanned": "Billet contrôlé à l'entrée",
    "eticket.scan_conflict": "Contrôle de billet en conflit",
    # Catalogue, stock and prices
    "offer.created": "Offre créée",
    "offer.updated": "Offre modifiée",
    "offer.stock_set": "Stock modifié",
    "offer.picture_added": "Image ajoutée",
    "offer.picture_deleted": "Image supprimée",
    "offer.approved": "Offre validée",
    "offer.refused": "Offre refusée",
    "session.created": "Séance créée",
    "session.updated": "Séance modifiée",
    "session.stock_set": "Stock d'une séance modifié",
    "catalog.imported": "Catalogue importé",
    "catalog.large_seeded": "Grand catalogue de démonstration créé",
    "price_request.created": "Demande de prix créée",
    "price_request.updated": "Demande de prix modifiée",
    "price_request.pending": "Demande de prix remise en attente",
    "price_request.approved": "Demande de prix approuvée",
    "price_request.refused": "Demande de prix refusée",
    "price_request.withdrawn": "Demande de prix retirée",
    # Agents, codes and staff
    "access_code.issued": "Code d'accès délivré",
    "dossier.imported": "Dossiers agents importés",
    "staff.created": "Compte du personnel créé",
    "staff.partner_admin": "Droit d'administration prestataire modifié",
    "staff.disabled": "Compte du personnel désactivé",
    "staff.enabled": "Compte du personnel réactivé",
    "staff.password_changed": "Mot de passe changé",
    "staff.password_reset": "Mot de passe réinitialisé",
    "staff.second_factor_enrolled": "Double authentification activée",
    "staff.second_factor_reset": "Double authentification réinitialisée",
    "staff.sessions_ended": "Sessions terminées",
    # Partners
    "partner.notices_changed": "Avis du prestataire modifiés",
    "api_token.created": "Jeton d'API créé",
    "api_token.revoked": "Jeton d'API révoqué",
    "webhook.created": "Webhook créé",
    "webhook.updated": "Webhook modifié",
    "webhook.secret_rotated": "Secret du webhook renouvelé",
    "webhook.ping": "Webhook testé",
    "webhook.resent": "Notification webhook renvoyée",
    # Mails
    "mail.resent": "E-mail renvoyé",
    # Vacations (Prix mini)
    "vacations.table_saved": "Grille tarifaire des séjours enregistrée",
    # Reports (R-REP-1)
    "report.budget_set": "Budget de participation fixé",
    "vacations.pre_registered": "Préinscription à un séjour",
    "vacations.drawn": "Tirage au sort effectué",
    "vacations.paid": "Séjour payé",
    "vacations.registrations_closed_early": "Préinscriptions closes avant la date",
    "vacations.place_passed_on": "Place transmise au suivant",
}

# The first part of a code, for the fallback of a code without its own label.
DOMAIN_LABELS: dict[str, str] = {
    "order": "Commande",
    "payment": "Paiement",
    "shipment": "Expédition",
    "event": "Événement",
    "eticket": "Billet",
    "offer": "Offre",
    "session": "Séance",
    "catalog": "Catalogue",
    "price_request": "Demande de prix",
    "access_code": "Code d'accès",
    "dossier": "Dossiers",
    "staff": "Personnel",
    "partner": "Prestataire",
    "api_token": "Jeton d'API",
    "webhook": "Webhook",
    "mail": "E-mail",
    "vacations": "Séjours",
    "report": "Rapports",
}

FIELD_LABELS: dict[str, str] = {
    "status": "Statut",
    "method": "Mode de paiement",
    "reason": "Motif",
    "agent": "N° C.G.O.S de l'agent",
    "total": "Total",
    "amount": "Montant",
    "expected": "Montant attendu",
    "participation": "Participation",
    "refund": "Remboursement",
    "outcome": "Résultat",
    "cheque_number": "N° de chèque",
    "payment": "Paiement N°",
    "payment_intent": "Paiement Stripe",
    "case": "Cas",
    "line": "Ligne N°",
    "to": "Destinataire",
    "expires_at": "Expire le",
    "stripe_status": "Statut Stripe",
    "group": "Colis",
    "tracking": "N° de suivi",
    "ticket": "Billet N°",
    "seq": "Émission N°",
    "secret_fingerprint": "Empreinte du code",
    "used_at": "Utilisé le",
    "device": "Appareil",
    "scan": "Contrôle",
    "partner_id": "Prestataire N°",
    "offer_id": "Offre N°",
    "title": "Titre",
    "kind": "Type",
    "category": "Catégorie",
    "region": "Région",
    "public_price_cents": "Prix public",
    "negotiated_price_cents": "Prix négocié",
    "cgos_price_cents": "Prix C.G.O.S",
    "child_public_price_cents": "Prix public enfant",
    "face_value_cents": "Valeur faciale",
    "price_cents": "Prix",
    "refunded_cents": "Montant remboursé",
    "participation_returned_cents": "Participation rendue",
    "per_order_max": "Maximum par commande",
    "deliveries": "Modes de remise",
    "stock": "Stock",
    "supply_state": "Approvisionnement",
    "sale_opens_at": "Ouverture de la vente",
    "sale_closes_at": "Fermeture de la vente",
    "starts_at": "Début",
    "published": "Publiée",
    "approval": "Validation",
    "picture": "Image N°",
    "bytes": "Taille (octets)",
    "type": "Type de fichier",
    "note": "Note",
    "delivery": "Remise du code",
    "role": "Rôle",
    "partner": "Prestataire",
    "partner_admin": "Administrateur prestataire",
    "email": "E-mail",
    "mail_orders": "Commandes par e-mail",
    "id": "N°",
    "url": "Adresse",
    "events": "Événements",
    "enabled": "Actif",
    "event": "Notification",
    "attempts": "Tentatives",
    "offers": "Offres",
    "sessions": "Séances",
    "created": "Créés",
    "updated": "Mis à jour",
    "orders_refunded": "Commandes remboursées",
    "orders_cancelled": "Commandes annulées",
    "tickets_cancelled": "Billets annulés",
    "form": "Formulaire (jeton à usage unique)",
    "numbers": "Commandes",
    "seed": "Graine du tirage",
    "eligible": "Éligibles",
    "winners": "Gagnants",
    "next": "Inscription suivante N°",
    "paid_at": "Payé le",
    "year": "Année",
    "amount_cents": "Montant",
    "alert_percent": "Seuil d'alerte (%)",
}

# Amounts in cents whose name does not end in ``_cents`` (older entries' fields).
MONEY_FIELDS = frozenset({"total", "amount", "expected", "participation", "refund"})


def action_label(action: str) -> str:
    """The French label of an action code; a readable one for a code not (yet) listed."""
    label = ACTION_LABELS.get(action)
    if label is not None:
        return label
    domain, _, rest = action.partition(".")
    words = rest.replace("_", " ").replace(".", " ").strip()
    head = DOMAIN_LABELS.get(domain, domain.replace("_", " ").capitalize())
    return f"{head} : {words}" if words else head


def field_label(field: str) -> str:
    label = FIELD_LABELS.get(field)
    if label is not None:
        return label
    return field.removesuffix("_cents").replace("_", " ").capitalize()


def is_money(field: str) -> bool:
    return field.endswith("_cents") or field in MONEY_FIELDS
