# Sayso's edge cache (Varnish 7, Debian's package): public pages for anonymous readers only.
#
# The app servers and the addresses allowed to purge live in sayso-backends.vcl, one per
# deployment (deploy/varnish/sayso-backends.example.vcl; the stack writes its own). Run it
# with that file on the VCL path and the shared-memory log stripped of addresses, e.g.
#
#   varnishd -f /etc/varnish/sayso.vcl -p vcl_path=/etc/varnish:/srv/sayso/deploy/varnish \
#       -p vsl_mask=-SessOpen,-ReqStart,-ReqHeader,-ReqUnset,-ReqURL,-BereqHeader,-BereqUnset,-BereqURL,-RespHeader,-RespUnset,-ObjHeader,-BerespHeader,-Link \
#       -a :80 -s malloc,256m
#
# Varnish writes no access log of its own; its in-memory log (read by varnishlog and
# varnishncsa) holds no client address, URL or header with that mask. Don't run varnishncsa.
#
# The rules:
# - Only GET and HEAD of public pages are looked up, and only for readers without a session
#   or CSRF cookie; /my/, /admin/ and /api/ always go to the app, cookies and all.
# - Every other cookie is dropped from public requests: a page is the same for every reader.
# - A response is kept only if the app says so (s-maxage, 200, no Set-Cookie, not private):
#   the app decides what is public, never this file. Nothing is served past its time (no
#   grace), and a 410 or 404 is never kept.
# - PURGE (one address) and BAN (the whole site) come only from the addresses in
#   sayso_purgers: Sayso sends them after every change that can alter a public page.
# - Readers are told to revalidate every time (max-age=0): no cache between here and them
#   keeps a page this edge can't be told to forget.

vcl 4.1;

import directors;

include "sayso-backends.vcl";

sub vcl_recv {
    # The app never needs a reader's address; nothing downstream should log it.
    unset req.http.X-Forwarded-For;
    unset req.http.X-Sayso-Edge;

    if (req.method == "PURGE") {
        if (client.ip !~ sayso_purgers) {
            return (synth(403, "Not allowed"));
        }
        return (purge);
    }
    if (req.method == "BAN") {
        if (client.ip !~ sayso_purgers) {
            return (synth(403, "Not allowed"));
        }
        # Only obj.* in the expression: the ban lurker clears banned pages in the background.
        ban("obj.status != 0");
        return (synth(200, "Banned"));
    }

    set req.backend_hint = sayso_app.backend();

    if (req.method != "GET" && req.method != "HEAD") {
        set req.http.X-Sayso-Edge = "pass";
        return (pass);
    }
    if (req.url ~ "^/(my|admin|api)(/|\?|$)" || req.http.Authorization) {
        set req.http.X-Sayso-Edge = "pass";
        return (pass);
    }
    if (req.http.Cookie ~ "(^|;\s*)(sessionid|csrftoken)=") {
        # Someone signed in (or signing in): their pages are theirs alone.
        set req.http.X-Sayso-Edge = "pass";
        return (pass);
    }
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_fetch {
    unset bereq.http.X-Sayso-Edge;
}

sub vcl_backend_response {
    set beresp.grace = 0s;
    set beresp.keep = 0s;
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.status != 200
        || beresp.http.Set-Cookie
        || beresp.http.Cache-Control !~ "s-maxage="
        || beresp.http.Cache-Control ~ "(private|no-store|no-cache)") {
        # Not kept; for a few seconds, asked for in parallel instead of one reader at a time.
        set beresp.ttl = 5s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    return (deliver);
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Sayso-Edge = "hit";
    } else if (req.http.X-Sayso-Edge == "pass") {
        set resp.http.X-Sayso-Edge = "pass";
    } else {
        set resp.http.X-Sayso-Edge = "miss";
    }
    if (resp.http.Cache-Control ~ "s-maxage=") {
        set resp.http.Cache-Control = "public, max-age=0, must-revalidate";
    }
    unset resp.http.Via;
    unset resp.http.X-Varnish;
    unset resp.http.Age;
}
