// Entry control offline (R-PAR-9): the service worker of the control pages only (its scope
// is the control page's path). It keeps the control page of each session opened here and
// the static files that page needs, so that the page opens again without network (a reload,
// a tab the phone killed). Network first, the kept copy when the network fails or is slow;
// nothing else goes through it: the ticket list, the scans and the sync, other portal pages
// and every POST go to the network alone (the page queues what fails, as without it).
// A partner's logout clears this cache (Clear-Site-Data) for the next controller.
"use strict";

var PREFIX = "door-";
var CACHE = PREFIX + {{ version | tojson }};  // changes with these files: old caches dropped
var PAGE = {{ page | tojson }};
var ASSETS = {{ assets | tojson }};
var TIMEOUT_MS = {{ timeout_ms | tojson }};

function pageKey(url) {
  if (url.pathname !== PAGE) { return null; }
  var seance = url.searchParams.get("seance") || "";
  return /^[0-9]{1,9}$/.test(seance) ? PAGE + "?seance=" + seance : null;
}

function isPage(request) {
  var key = pageKey(new URL(request.url));
  return key !== null;
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(ASSETS); })
      .then(function () { return self.skipWaiting(); })
  );
});

// A new version keeps the pages already kept (the door may be offline next time) and
// drops the rest of the old caches.
self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      var old = names.filter(function (n) { return n.indexOf(PREFIX) === 0 && n !== CACHE; });
      return caches.open(CACHE).then(function (current) {
        return Promise.all(old.map(function (name) {
          return caches.open(name).then(function (cache) {
            return cache.keys().then(function (requests) {
              return Promise.all(requests.filter(isPage).map(function (request) {
                return cache.match(request).then(function (hit) {
                  return hit ? current.put(request, hit) : null;
                });
              }));
            });
          }).then(function () { return caches.delete(name); });
        }));
      });
    }).then(keepOpenPages).then(function () { return self.clients.claim(); })
  );
});

// The control page that registered this worker was loaded before it: kept now, so that
// it opens again offline without a second visit.
function keepOpenPages() {
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    return Promise.all(windows.map(function (client) {
      var key = pageKey(new URL(client.url));
      if (key === null) { return null; }
      return caches.open(CACHE).then(function (cache) {
        return cache.match(key).then(function (hit) {
          return hit ? null : networkFirst(new Request(key, { credentials: "same-origin" }), key);
        });
      }).catch(function () { /* offline: kept on the next visit */ });
    }));
  });
}

function networkFirst(request, key) {
  return caches.open(CACHE).then(function (cache) {
    var fromNetwork = fetch(request).then(function (response) {
      // A redirect (to the login page), a 404 or an error is never kept.
      if (response.ok && response.type === "basic" && !response.redirected) {
        cache.put(key, response.clone());
      }
      return response;
    });
    fromNetwork.catch(function () { /* answered from the cache */ });
    var timer = null;
    var slow = new Promise(function (resolve, reject) {
      timer = setTimeout(function () { reject(new Error("timeout")); }, TIMEOUT_MS);
    });
    function kept(fallback) {
      return cache.match(key, { ignoreVary: true }).then(function (hit) { return hit || fallback; });
    }
    return Promise.race([fromNetwork, slow]).then(function (response) {
      clearTimeout(timer);
      return response.status >= 500 ? kept(response) : response;  // the store is down
    }, function () {
      clearTimeout(timer);
      return kept(fromNetwork);  // offline or slow: the kept copy, else wait for the network
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var key = request.mode === "navigate" ? pageKey(url) : null;
  if (key === null && ASSETS.indexOf(url.pathname) >= 0 && !url.search) { key = url.pathname; }
  if (key === null) { return; }  // the API, other pages: the network alone
  event.respondWith(networkFirst(request, key));
});
