"""What the Kubernetes deployment promises (README.md, "Kubernetes"), in one place.

The tests derive every assertion from these names and numbers and from the rendered manifests
themselves (with deploy/gunicorn.conf.py for what gunicorn makes of the container's
environment), so a promise changes here and nowhere else.
"""

# The Kubernetes release whose API schemas every rendered document must match strictly
# (unknown fields rejected): the oldest minor release still maintained upstream when
# kubernetes-validate 1.37.0 (requirements.txt) came out. That release bundles 1.25 to 1.37.
KUBERNETES_VERSION = "1.35.0"

# Every overlay under deploy/kubernetes/overlays is rendered and checked; these must be there.
OVERLAYS = ("production", "single-node")
# Overlays whose every image is pinned by digest, and never tagged `latest`.
DIGEST_PINNED_OVERLAYS = ("production",)

# The app: nginx ("web") and gunicorn ("app") in one pod, sharing gunicorn's socket.
DEPLOYMENT = "visitors"
APP_CONTAINER = "app"
WEB_PORT = 8080
# Migrations run in this Job only (its name carries the release), never in the app's pods.
MIGRATION_JOB_PREFIX = "visitors-migrate-"
MIGRATION_COMMANDS = ("migrate", "prepare_database")
# What the app's pods run first instead: wait until this release's migrations are applied.
MIGRATION_WAIT_COMMAND = "wait_for_migrations"
# The single-node overlay's PostgreSQL (the production overlay's is CloudNativePG's Cluster).
DATABASE_WORKLOAD = "visitors-db"
DATABASE_PORT = 5432
DNS_PORT = 53
# The namespaces the NetworkPolicies let in by default (the README says how to change them):
# the ingress controller's, to the app's port, and the CloudNativePG operator's, to each
# database instance's manager.
INGRESS_NAMESPACE = "ingress-nginx"
OPERATOR_NAMESPACE = "cnpg-system"
OPERATOR_PORT = 8000

# Monitoring (components/monitoring, which the production overlay includes): the Prometheus
# Operator's Prometheus, in this namespace and with the label it gives its pods, scrapes the
# app's metrics port (the app's default VISITORS_METRICS_PORT) and CloudNativePG's exporter.
MONITORING_NAMESPACE = "monitoring"
PROMETHEUS_POD_LABELS = {"app.kubernetes.io/name": "prometheus"}
APP_METRICS_PORT = 9100
DATABASE_METRICS_PORT = 9187

# The uid of the app's and nginx's images (deploy/Dockerfile: USER 65532), for every container
# but the database's, which runs as its own non-root user.
APP_UID = 65532

# Probes of the app container: a path the probe asks for, or None for "any probe".
APP_PROBES = {
    "startupProbe": None,
    "readinessProbe": "/health",
    "livenessProbe": "/health/live",
}

# Availability: at least this many pods at all times, one per node where there are nodes.
MIN_REPLICAS = 2
SPREAD_TOPOLOGY_KEY = "kubernetes.io/hostname"

# Volumes a container cannot write to, whatever its mount says.
READ_ONLY_VOLUME_TYPES = ("secret", "configMap", "projected", "downwardAPI")
