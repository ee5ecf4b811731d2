# The app servers behind the edge, and who may purge it: copy to sayso-backends.vcl next to
# sayso.vcl (or anywhere on vcl_path) and list every app server in both places. An app server
# missing from sayso_purgers has its purges refused (403), which Sayso records and retries.

probe sayso_alive {
    .url = "/static/css/site.css";
    .interval = 2s;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
}

backend app1 {
    .host = "10.0.0.11";
    .port = "8000";
    .probe = sayso_alive;
}

backend app2 {
    .host = "10.0.0.12";
    .port = "8000";
    .probe = sayso_alive;
}

acl sayso_purgers {
    "localhost";
    "10.0.0.11";
    "10.0.0.12";
}

sub vcl_init {
    new sayso_app = directors.round_robin();
    sayso_app.add_backend(app1);
    sayso_app.add_backend(app2);
}
