#!/usr/bin/env bash
# The genuine Keystone and Glance from PyPI, for the test that runs this cloud against them: each under uWSGI on
# 127.0.0.1, on SQLite (and a file store for Glance) in DIR, bootstrapped as devstack does (admin, the service
# project, a `nova` and a `glance` service user with the admin and service roles, the image and identity
# endpoints). Stopped by their PIDs.
#   scripts/genuine-keystone-glance.sh start VENV DIR KEYSTONE_PORT GLANCE_PORT   (VENV has keystone, glance, uwsgi)
#   scripts/genuine-keystone-glance.sh stop DIR
# The admin's and the service users' password is `genuine-secret`.
set -euo pipefail
PASSWORD=genuine-secret

wait_for() {  # URL, log: until the URL answers or 60 s pass
    for _ in $(seq 600); do
        curl -fsS -o /dev/null "$1" 2> /dev/null && return 0
        sleep 0.1
    done
    echo "$1 did not answer; the end of $2:" >&2
    tail -40 "$2" >&2
    return 1
}

case "$1" in
start)
    VENV=$(cd "$2" && pwd) DIR=$3 KPORT=$4 GPORT=$5
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    KURL="http://127.0.0.1:$KPORT"
    GURL="http://127.0.0.1:$GPORT"
    mkdir -p "$DIR/keystone" "$DIR/glance/images" "$DIR/glance/staging" "$DIR/glance/tasks"
    cat > "$DIR/keystone/keystone.conf" << EOF
[database]
connection = sqlite:///$DIR/keystone/keystone.db
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $DIR/keystone/fernet-keys
[fernet_receipts]
key_repository = $DIR/keystone/fernet-receipts
[credential]
key_repository = $DIR/keystone/credential-keys
EOF
    K="$VENV/bin/keystone-manage --config-file $DIR/keystone/keystone.conf"
    OWNER=(--keystone-user "$(id -un)" --keystone-group "$(id -gn)")
    $K db_sync > "$DIR/keystone/manage.log" 2>&1
    $K fernet_setup "${OWNER[@]}" >> "$DIR/keystone/manage.log" 2>&1
    $K credential_setup "${OWNER[@]}" >> "$DIR/keystone/manage.log" 2>&1
    $K bootstrap --bootstrap-password "$PASSWORD" --bootstrap-admin-url "$KURL/v3" \
        --bootstrap-internal-url "$KURL/v3" --bootstrap-public-url "$KURL/v3" \
        --bootstrap-region-id RegionOne >> "$DIR/keystone/manage.log" 2>&1
    OS_KEYSTONE_CONFIG_FILES="$DIR/keystone/keystone.conf" "$VENV/bin/uwsgi" --http11-socket "127.0.0.1:$KPORT" \
        --virtualenv "$VENV" --module keystone.wsgi.api:application --master --processes 2 --threads 2 \
        --die-on-term --lazy-apps --pidfile "$DIR/keystone/uwsgi.pid" --daemonize "$DIR/keystone/uwsgi.log"
    wait_for "$KURL/v3" "$DIR/keystone/uwsgi.log"

    cp "$VENV/etc/glance/glance-api-paste.ini" "$DIR/glance/"
    cat > "$DIR/glance/glance-api.conf" << EOF
[DEFAULT]
enabled_backends = file:file
bind_host = 127.0.0.1
bind_port = $GPORT
worker_self_reference_url = $GURL
[database]
connection = sqlite:///$DIR/glance/glance.db
[glance_store]
default_backend = file
[file]
filesystem_store_datadir = $DIR/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $DIR/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $DIR/glance/tasks
[paste_deploy]
flavor = keystone
config_file = $DIR/glance/glance-api-paste.ini
[keystone_authtoken]
www_authenticate_uri = $KURL
auth_url = $KURL
auth_type = password
username = glance
password = $PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
service_token_roles_required = true
[oslo_policy]
enforce_new_defaults = true
enforce_scope = true
EOF
    "$VENV/bin/glance-manage" --config-file "$DIR/glance/glance-api.conf" db_sync > "$DIR/glance/manage.log" 2>&1

    # The service project, the service users and the endpoints, as the operator's tools make them.
    export OS_AUTH_URL="$KURL/v3" OS_USERNAME=admin OS_PASSWORD=$PASSWORD OS_PROJECT_NAME=admin \
        OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3
    "$VENV/bin/python" - "$KURL/v3" "$PASSWORD" "$GURL" > "$DIR/bootstrap.log" 2>&1 << 'EOF'
import json, sys, urllib.request
url, password, glance = sys.argv[1:4]
def call(method, path, body=None, token=None):
    request = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token: request.add_header("X-Auth-Token", token)
    with urllib.request.urlopen(request) as answer:
        data = answer.read()
        return answer.headers.get("X-Subject-Token"), json.loads(data) if data else None
token, _ = call("POST", "/auth/tokens", {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "admin", "domain": {"id": "default"}, "password": password}}},
    "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
def role(name):
    roles = call("GET", "/roles?name=" + name, token=token)[1]["roles"]
    return roles[0]["id"] if roles else call("POST", "/roles", {"role": {"name": name}}, token)[1]["role"]["id"]
service_project = call("POST", "/projects", {"project": {"name": "service", "domain_id": "default"}}, token)[1]["project"]["id"]
for name in ["nova", "glance"]:
    user = call("POST", "/users", {"user": {"name": name, "domain_id": "default", "password": password}}, token)[1]["user"]["id"]
    for role_name in ["admin", "service"]:
        call("PUT", f"/projects/{service_project}/users/{user}/roles/{role(name=role_name)}", token=token)
image = call("POST", "/services", {"service": {"type": "image", "name": "glance"}}, token)[1]["service"]["id"]
for interface in ["public", "internal", "admin"]:
    call("POST", "/endpoints", {"endpoint": {"service_id": image, "interface": interface, "url": glance,
                                             "region_id": "RegionOne"}}, token)
print("bootstrapped")
EOF
    OS_GLANCE_CONFIG_DIR="$DIR/glance" "$VENV/bin/uwsgi" --http11-socket "127.0.0.1:$GPORT" \
        --virtualenv "$VENV" --module glance.wsgi.api:application --master --processes 1 --threads 4 --http-chunked-input --http-raw-body \
        --die-on-term --lazy-apps --pidfile "$DIR/glance/uwsgi.pid" \
        --daemonize "$DIR/glance/uwsgi.log"
    wait_for "$GURL/versions" "$DIR/glance/uwsgi.log"
    echo "keystone $KURL/v3 (pid $(cat "$DIR/keystone/uwsgi.pid")), glance $GURL (pid $(cat "$DIR/glance/uwsgi.pid"))"
    ;;
stop)
    DIR=$2
    for pidfile in "$DIR/glance/uwsgi.pid" "$DIR/keystone/uwsgi.pid"; do
        [ -f "$pidfile" ] || continue
        PID=$(cat "$pidfile")
        kill "$PID" 2> /dev/null || true
        for _ in $(seq 100); do kill -0 "$PID" 2> /dev/null || break; sleep 0.1; done
    done
    rm -rf "$DIR"
    ;;
*)
    echo "usage: $0 start VENV DIR KEYSTONE_PORT GLANCE_PORT | stop DIR" >&2
    exit 2
    ;;
esac
