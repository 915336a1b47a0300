"""The sandbox's initial contents: cluster `demo-cluster` with the namespaces,
workloads, pods, services, config and events that the product spec describes.

Everything is created through the store like any client write, so each object has
a uid, a resourceVersion and (for pods) a full status; the event log is then
compacted, as on a cluster that has been up for days.
"""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from typing import Any

from krates_desktop.sandbox import clock
from krates_desktop.sandbox.cluster_seed import (
    persistent_volume,
    seed_classes,
    seed_iam_roles,
    seed_rbac,
)
from krates_desktop.sandbox.cron import Schedule
from krates_desktop.sandbox.kinds import KindRegistry, ResourceKind
from krates_desktop.sandbox.objects import (
    backoff_message,
    container,
    event,
    meta,
    owner_ref,
    pod,
    running,
    terminated,
    waiting,
)
from krates_desktop.sandbox.store import Store
from krates_desktop.sandbox.tls import demo_certificate

Json = dict[str, Any]

CLUSTER_NAME = "demo-cluster"
NAMESPACES = ("default", "payments", "checkout", "platform", "kube-system")
NODES = {"node-1": "172.18.0.2", "node-2": "172.18.0.3"}
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
AUDIT_FORWARDER_POD = "audit-forwarder-6f9c8-zq4vw"


class Seeder:
    """Creates the seed objects in a store, keeping references for owner links."""

    def __init__(self, store: Store, registry: KindRegistry) -> None:
        self.store = store
        self.registry = registry

    def kind(self, group: str, plural: str) -> ResourceKind:
        """The registered kind for (group, plural)."""
        found = self.registry.by_key((group, plural))
        if found is None:
            raise LookupError(f"the sandbox has no kind {plural}.{group}")
        return found

    def add(self, group: str, plural: str, obj: Json) -> Json:
        """Create one object and return the stored copy."""
        kind = self.kind(group, plural)
        obj.setdefault("apiVersion", kind.api_version)
        obj.setdefault("kind", kind.kind)
        return self.store.create(kind, obj)

    def run(self) -> None:
        """Create everything, then compact the event log."""
        self.cluster()
        seed_rbac(self)
        seed_classes(self)
        self.payments()
        self.checkout()
        self.platform()
        self.kube_system()
        self.custom_resources()
        seed_iam_roles(self)
        self.store.compact()

    # Cluster-scoped objects and per-namespace defaults

    def cluster(self) -> None:
        """Namespaces, nodes, and what every namespace holds on a real cluster."""
        for name in NAMESPACES:
            labels = {"kubernetes.io/metadata.name": name}
            if name == "payments":
                labels["team"] = "payments"
            self.add(
                "",
                "namespaces",
                {
                    "metadata": meta(name, labels=labels, created=clock.ago(days=12)),
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                },
            )
            self.add(
                "",
                "serviceaccounts",
                {"metadata": meta("default", name, created=clock.ago(days=12))},
            )
            self.add(
                "",
                "configmaps",
                {
                    "metadata": meta(
                        "kube-root-ca.crt",
                        name,
                        created=clock.ago(days=12),
                        annotations={"kubernetes.io/description": _ROOT_CA_NOTE},
                    ),
                    "data": {"ca.crt": demo_certificate("kubernetes")[0]},
                },
            )
        for index, (name, address) in enumerate(NODES.items()):
            self.add("", "nodes", _node(name, address, control_plane=index == 0))
        self.add(
            "",
            "services",
            _service(
                "default",
                "kubernetes",
                "10.96.0.1",
                [("https", 443, 6443)],
                None,
                labels={"component": "apiserver", "provider": "kubernetes"},
            ),
        )
        self.add(
            "",
            "endpoints",
            _endpoints(
                "default", "kubernetes", [("172.18.0.2", None)], [], [("https", 6443)]
            ),
        )

    # payments

    def payments(self) -> None:
        """api-server (2/3, one pod crash-looping), rapid-io, ledger-db and friends."""
        ns = "payments"
        self.add(
            "",
            "serviceaccounts",
            {"metadata": meta("api-server", ns, created=clock.ago(days=9))},
        )
        api_containers = [
            container(
                "api",
                "ghcr.io/acme/api-server:1.14.2",
                ports=[("http", 8080), ("metrics", 9090)],
                env={
                    "LOG_LEVEL": "info",
                    "LEDGER_URL": "postgres://ledger-db:5432/ledger",
                    "GOMAXPROCS": "2",
                },
                cpu="250m",
                memory="256Mi",
            )
        ]
        deploy, rs = self.deployment(
            ns,
            "api-server",
            "7c9d5",
            api_containers,
            replicas=3,
            ready=2,
            created=clock.ago(days=3, hours=4),
        )
        labels = {"app": "api-server", "pod-template-hash": "7c9d5"}
        owner = owner_ref(rs)
        good = [
            ("api-server-7c9d5-x2k4p", "node-1", "10.244.1.12"),
            ("api-server-7c9d5-m8q1z", "node-2", "10.244.2.8"),
        ]
        pods = []
        for name, node, ip in good:
            started = clock.ago(days=3, hours=4)
            pods.append(
                self.add(
                    "",
                    "pods",
                    pod(
                        ns,
                        name,
                        labels=labels,
                        owner=owner,
                        node=node,
                        host_ip=NODES[node],
                        pod_ip=ip,
                        containers=api_containers,
                        states=[running(started)],
                        created=started,
                    ),
                )
            )
        crashed_at = clock.ago(seconds=40)
        crash_pod = pod(
            ns,
            "api-server-7c9d5-r5t7w",
            labels=labels,
            owner=owner,
            node="node-2",
            host_ip=NODES["node-2"],
            pod_ip="10.244.2.15",
            containers=api_containers,
            states=[waiting("CrashLoopBackOff")],
            restarts=[7],
            created=clock.ago(minutes=47),
            last_states=[terminated("Error", 2, clock.ago(seconds=52), crashed_at)],
        )
        crash_pod["status"]["containerStatuses"][0]["state"] = waiting(
            "CrashLoopBackOff", backoff_message("2m40s", "api", crash_pod)
        )
        crashing = self.add("", "pods", crash_pod)
        self.pod_events(pods, "ghcr.io/acme/api-server:1.14.2", "api")
        self.add(
            "",
            "events",
            event(
                crashing,
                "BackOff",
                f"Back-off restarting failed container api in pod "
                f"api-server-7c9d5-r5t7w_payments({crashing['metadata']['uid']})",
                type_="Warning",
                count=31,
                first=clock.ago(minutes=45),
                last=clock.ago(seconds=20),
                host="node-2",
                field_path="spec.containers{api}",
            ),
        )
        self.add(
            "",
            "events",
            event(
                crashing,
                "Pulled",
                'Container image "ghcr.io/acme/api-server:1.14.2" already present on machine',
                count=8,
                first=clock.ago(minutes=46),
                last=clock.ago(minutes=1),
                host="node-2",
                field_path="spec.containers{api}",
            ),
        )
        self.add(
            "",
            "events",
            event(
                deploy,
                "ScalingReplicaSet",
                "Scaled up replica set api-server-7c9d5 from 2 to 3",
                first=clock.ago(minutes=47),
                component="deployment-controller",
            ),
        )
        self.add(
            "",
            "services",
            _service(
                ns,
                "api-server",
                "10.96.112.40",
                [("http", 80, 8080), ("metrics", 9090, 9090)],
                {"app": "api-server"},
            ),
        )
        ready = [(p["status"]["podIP"], p["metadata"]["name"]) for p in pods]
        self.add(
            "",
            "endpoints",
            _endpoints(
                ns,
                "api-server",
                ready,
                [("10.244.2.15", "api-server-7c9d5-r5t7w")],
                [("http", 8080), ("metrics", 9090)],
            ),
        )
        self.rapid_io(ns)
        self.ledger_db(ns)
        self.payments_config(ns)

    def rapid_io(self, ns: str) -> None:
        """Deployment rapid-io 1/1, whose pod has a completed init container."""
        containers = [
            container(
                "rapid-io",
                "ghcr.io/acme/rapid-io:0.9.7",
                ports=[("grpc", 7443)],
                env={"RUST_LOG": "info"},
            )
        ]
        _, rs = self.deployment(
            ns,
            "rapid-io",
            "5b8f7",
            containers,
            replicas=1,
            ready=1,
            created=clock.ago(days=6),
        )
        created = clock.ago(days=1, hours=2)
        init = [container("migrate", "ghcr.io/acme/rapid-io:0.9.7")]
        self.add(
            "",
            "pods",
            pod(
                ns,
                "rapid-io-5b8f7-k3j9d",
                labels={"app": "rapid-io", "pod-template-hash": "5b8f7"},
                owner=owner_ref(rs),
                node="node-1",
                host_ip=NODES["node-1"],
                pod_ip="10.244.1.31",
                containers=containers,
                states=[running(created)],
                created=created,
                init_containers=init,
            ),
        )

    def ledger_db(self, ns: str) -> None:
        """StatefulSet ledger-db 2/3: two pods with db+metrics, one stuck creating."""
        containers = [
            container(
                "db",
                "postgres:17.2",
                ports=[("postgres", 5432)],
                env={
                    "POSTGRES_DB": "ledger",
                    "PGDATA": "/var/lib/postgresql/data/pgdata",
                },
                cpu="500m",
                memory="1Gi",
            ),
            container(
                "metrics",
                "quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
                ports=[("metrics", 9187)],
            ),
        ]
        created = clock.ago(days=8)
        sts = self.add(
            "apps",
            "statefulsets",
            {
                "metadata": meta(
                    "ledger-db", ns, labels={"app": "ledger-db"}, created=created
                ),
                "spec": {
                    "replicas": 3,
                    "serviceName": "ledger-db",
                    "selector": {"matchLabels": {"app": "ledger-db"}},
                    "template": _template(
                        {"app": "ledger-db"}, containers, {DEFAULT_CONTAINER: "db"}
                    ),
                    "podManagementPolicy": "OrderedReady",
                    "updateStrategy": {
                        "type": "RollingUpdate",
                        "rollingUpdate": {"partition": 0},
                    },
                    "volumeClaimTemplates": [
                        {
                            "metadata": {"name": "ledger-data"},
                            "spec": {
                                "accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": "20Gi"}},
                            },
                        }
                    ],
                },
                "status": {
                    "replicas": 3,
                    "readyReplicas": 2,
                    "currentReplicas": 3,
                    "updatedReplicas": 3,
                    "availableReplicas": 2,
                    "currentRevision": "ledger-db-6c8d7f9b4",
                    "updateRevision": "ledger-db-6c8d7f9b4",
                    "observedGeneration": 1,
                    "collisionCount": 0,
                },
            },
        )
        for ordinal, (node, ip) in enumerate(
            [("node-1", "10.244.1.20"), ("node-2", "10.244.2.21"), ("node-1", None)]
        ):
            name = f"ledger-db-{ordinal}"
            labels = {
                "app": "ledger-db",
                "statefulset.kubernetes.io/pod-name": name,
                "apps.kubernetes.io/pod-index": str(ordinal),
                "controller-revision-hash": "ledger-db-6c8d7f9b4",
            }
            volumes = [
                {
                    "name": "ledger-data",
                    "persistentVolumeClaim": {"claimName": f"ledger-data-{ordinal}"},
                }
            ]
            pod_created = clock.ago(days=8 - ordinal) if ip else clock.ago(minutes=14)
            states = (
                [running(pod_created)] * 2 if ip else [waiting("ContainerCreating")] * 2
            )
            made = self.add(
                "",
                "pods",
                pod(
                    ns,
                    name,
                    labels=labels,
                    owner=owner_ref(sts),
                    node=node,
                    host_ip=NODES[node],
                    pod_ip=ip,
                    containers=containers,
                    states=states,
                    created=pod_created,
                    phase="Running" if ip else "Pending",
                    annotations={DEFAULT_CONTAINER: "db"},
                    volumes=volumes,
                ),
            )
            self.pvc(ns, f"ledger-data-{ordinal}", clock.ago(days=8 - ordinal))
            if ip is None:
                self.stuck_volume_events(sts, made, node)

    def stuck_volume_events(self, sts: Json, stuck: Json, node: str) -> None:
        """The events of a pod waiting for its volume to attach."""
        name = stuck["metadata"]["name"]
        self.add(
            "",
            "events",
            event(
                sts,
                "SuccessfulCreate",
                f"create Pod {name} in StatefulSet ledger-db successful",
                first=clock.ago(minutes=14),
                component="statefulset-controller",
            ),
        )
        self.add(
            "",
            "events",
            event(
                stuck,
                "Scheduled",
                f"Successfully assigned payments/{name} to {node}",
                first=clock.ago(minutes=14),
                component="default-scheduler",
            ),
        )
        self.add(
            "",
            "events",
            event(
                stuck,
                "FailedAttachVolume",
                'AttachVolume.Attach failed for volume "pvc-3b8e2f41-ledger-2" : rpc error: '
                "code = DeadlineExceeded desc = context deadline exceeded",
                type_="Warning",
                count=6,
                first=clock.ago(minutes=13),
                last=clock.ago(minutes=2),
                component="attachdetach-controller",
            ),
        )

    def pvc(self, ns: str, name: str, created: str) -> None:
        """A bound 20Gi claim and its volume."""
        claim = self.add(
            "",
            "persistentvolumeclaims",
            {
                "metadata": meta(
                    name,
                    ns,
                    labels={"app": "ledger-db"},
                    created=created,
                    annotations={"pv.kubernetes.io/bind-completed": "yes"},
                ),
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "20Gi"}},
                    "storageClassName": "standard",
                    "volumeMode": "Filesystem",
                    "volumeName": f"pvc-{secrets.token_hex(4)}-{name}",
                },
                "status": {
                    "phase": "Bound",
                    "accessModes": ["ReadWriteOnce"],
                    "capacity": {"storage": "20Gi"},
                },
            },
        )
        volume = claim["spec"]["volumeName"]
        self.add("", "persistentvolumes", persistent_volume(claim, volume, "20Gi"))

    def payments_config(self, ns: str) -> None:
        """Service, Ingress, ConfigMap and Secrets of the payments namespace."""
        self.add(
            "",
            "services",
            _service(
                ns,
                "ledger-db",
                "None",
                [("postgres", 5432, 5432)],
                {"app": "ledger-db"},
            ),
        )
        self.add(
            "",
            "endpoints",
            _endpoints(
                ns,
                "ledger-db",
                [("10.244.1.20", "ledger-db-0"), ("10.244.2.21", "ledger-db-1")],
                [],
                [("postgres", 5432)],
            ),
        )
        self.add(
            "networking.k8s.io",
            "ingresses",
            {
                "metadata": meta(
                    "payments",
                    ns,
                    created=clock.ago(days=3),
                    annotations={"nginx.ingress.kubernetes.io/ssl-redirect": "true"},
                ),
                "spec": {
                    "ingressClassName": "nginx",
                    "tls": [
                        {"hosts": ["payments.example.com"], "secretName": "api-tls"}
                    ],
                    "rules": [
                        {
                            "host": "payments.example.com",
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {
                                            "service": {
                                                "name": "api-server",
                                                "port": {"number": 80},
                                            }
                                        },
                                    },
                                ]
                            },
                        }
                    ],
                },
                "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}},
            },
        )
        self.add(
            "",
            "configmaps",
            {
                "metadata": meta(
                    "api-config",
                    ns,
                    labels={"app": "api-server"},
                    created=clock.ago(days=3),
                ),
                "data": {
                    "LOG_LEVEL": "info",
                    "FEATURE_FLAGS": "refunds,3ds-v2,instant-payouts",
                    "config.yaml": _API_CONFIG,
                },
            },
        )
        cert, key = demo_certificate("payments.example.com")
        self.add(
            "",
            "secrets",
            {
                "metadata": meta(
                    "api-tls",
                    ns,
                    created=clock.ago(days=3),
                    annotations={"cert-manager.io/certificate-name": "api-cert"},
                ),
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": _b64(cert.encode()), "tls.key": _b64(key.encode())},
            },
        )
        self.add(
            "",
            "secrets",
            {
                "metadata": meta("ledger-credentials", ns, created=clock.ago(days=8)),
                "type": "Opaque",
                "data": {
                    "username": _b64(b"ledger"),
                    "password": _b64(b"s4ndb0x-not-a-secret"),
                },
            },
        )
        self.add(
            "",
            "secrets",
            {
                "metadata": meta("ledger-keystore", ns, created=clock.ago(days=8)),
                "type": "Opaque",
                "data": {
                    "keystore.p12": _b64(
                        b"0\x82\x04\xa2\x02\x01\x030\x82\x04h\x06\t*\x86H"
                        + bytes(range(256))
                    )
                },
            },
        )
        self.add(
            "rbac.authorization.k8s.io",
            "roles",
            {
                "metadata": meta("api-server-reader", ns, created=clock.ago(days=9)),
                "rules": [
                    {
                        "apiGroups": [""],
                        "resources": ["configmaps", "secrets"],
                        "verbs": ["get", "list", "watch"],
                    }
                ],
            },
        )
        self.add(
            "rbac.authorization.k8s.io",
            "rolebindings",
            {
                "metadata": meta("api-server-reader", ns, created=clock.ago(days=9)),
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": "api-server-reader",
                },
                "subjects": [
                    {"kind": "ServiceAccount", "name": "api-server", "namespace": ns}
                ],
            },
        )

    # Other namespaces

    def checkout(self) -> None:
        """Deployment cart 0/2 whose image cannot be pulled, and Service cart."""
        ns, image = "checkout", "ghcr.io/acme/cart:2.0.0-rc1"
        containers = [
            container(
                "cart", image, ports=[("http", 8080)], env={"NODE_ENV": "production"}
            )
        ]
        _, rs = self.deployment(
            ns,
            "cart",
            "6d4b9",
            containers,
            replicas=2,
            ready=0,
            created=clock.ago(minutes=25),
        )
        labels = {"app": "cart", "pod-template-hash": "6d4b9"}
        for name, node, ip, reason in [
            ("cart-6d4b9-q7wzn", "node-1", "10.244.1.40", "ImagePullBackOff"),
            ("cart-6d4b9-t2hxl", "node-2", "10.244.2.41", "ErrImagePull"),
        ]:
            message = (
                _BACK_OFF_PULL.format(image=image)
                if reason == "ImagePullBackOff"
                else _PULL_FAILED.format(image=image)
            )
            made = self.add(
                "",
                "pods",
                pod(
                    ns,
                    name,
                    labels=labels,
                    owner=owner_ref(rs),
                    node=node,
                    host_ip=NODES[node],
                    pod_ip=ip,
                    containers=containers,
                    states=[waiting(reason, message)],
                    created=clock.ago(minutes=25),
                    phase="Pending",
                ),
            )
            self.add(
                "",
                "events",
                event(
                    made,
                    "Failed",
                    f'Failed to pull image "{image}": {_PULL_FAILED.format(image=image)}',
                    type_="Warning",
                    count=9,
                    first=clock.ago(minutes=24),
                    last=clock.ago(minutes=1),
                    host=node,
                    field_path="spec.containers{cart}",
                ),
            )
            self.add(
                "",
                "events",
                event(
                    made,
                    "BackOff",
                    f'Back-off pulling image "{image}"',
                    count=97,
                    first=clock.ago(minutes=24),
                    last=clock.ago(seconds=15),
                    host=node,
                    field_path="spec.containers{cart}",
                ),
            )
        self.add(
            "",
            "services",
            _service(ns, "cart", "10.96.88.21", [("http", 80, 8080)], {"app": "cart"}),
        )
        self.add(
            "",
            "endpoints",
            _endpoints(
                ns,
                "cart",
                [],
                [
                    ("10.244.1.40", "cart-6d4b9-q7wzn"),
                    ("10.244.2.41", "cart-6d4b9-t2hxl"),
                ],
                [("http", 8080)],
            ),
        )

    def platform(self) -> None:
        """Deployment metrics-gateway 1/1 and a nightly CronJob."""
        ns = "platform"
        containers = [
            container(
                "gateway", "ghcr.io/acme/metrics-gateway:3.2.0", ports=[("http", 9091)]
            )
        ]
        _, rs = self.deployment(
            ns,
            "metrics-gateway",
            "84d7c",
            containers,
            replicas=1,
            ready=1,
            created=clock.ago(days=11),
        )
        created = clock.ago(days=4, hours=7)
        self.add(
            "",
            "pods",
            pod(
                ns,
                "metrics-gateway-84d7c-p9vbn",
                labels={"app": "metrics-gateway", "pod-template-hash": "84d7c"},
                owner=owner_ref(rs),
                node="node-2",
                host_ip=NODES["node-2"],
                pod_ip="10.244.2.50",
                containers=containers,
                states=[running(created)],
                created=created,
            ),
        )
        self.add(
            "",
            "services",
            _service(
                ns,
                "metrics-gateway",
                "10.96.40.7",
                [("http", 9091, 9091)],
                {"app": "metrics-gateway"},
            ),
        )
        self.cert_expiry_check(ns)
        self.report_rollup(ns)
        self.audit_forwarder(ns)

    def cert_expiry_check(self, ns: str) -> None:
        """A nightly CronJob (03:00 UTC) whose last Job completed."""
        # Long because it is object literals: the seed reads best as data.
        job_containers = [container("check", "ghcr.io/acme/cert-check:1.1.0")]
        last = Schedule.parse("0 3 * * *").previous_before(clock.now())
        ran = clock.rfc3339(last)
        done = clock.rfc3339(last + timedelta(seconds=47))
        cron = self.add(
            "batch",
            "cronjobs",
            {
                "metadata": meta("cert-expiry-check", ns, created=clock.ago(days=11)),
                "spec": {
                    "schedule": "0 3 * * *",
                    "concurrencyPolicy": "Forbid",
                    "suspend": False,
                    "successfulJobsHistoryLimit": 3,
                    "failedJobsHistoryLimit": 1,
                    "jobTemplate": {
                        "spec": {
                            "backoffLimit": 2,
                            "template": _template({}, job_containers),
                        }
                    },
                },
                "status": {"lastScheduleTime": ran, "lastSuccessfulTime": done},
            },
        )
        name = f"cert-expiry-check-{int(last.timestamp() // 60)}"
        job_meta = meta(name, ns, created=ran, owner=owner_ref(cron))
        uid = job_meta["uid"]
        labels = {
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": name,
            "controller-uid": uid,
            "job-name": name,
        }
        job_meta["labels"] = labels
        job_meta["annotations"] = {
            "batch.kubernetes.io/cronjob-scheduled-timestamp": ran
        }
        self.add(
            "batch",
            "jobs",
            {
                "metadata": job_meta,
                "spec": {
                    "completions": 1,
                    "parallelism": 1,
                    "backoffLimit": 2,
                    "completionMode": "NonIndexed",
                    "suspend": False,
                    "selector": {
                        "matchLabels": {"batch.kubernetes.io/controller-uid": uid}
                    },
                    "template": _template(labels, job_containers, restart="OnFailure"),
                },
                "status": {
                    "succeeded": 1,
                    "ready": 0,
                    "terminating": 0,
                    "startTime": ran,
                    "completionTime": done,
                    "uncountedTerminatedPods": {},
                    "conditions": [
                        {
                            "type": "SuccessCriteriaMet",
                            "status": "True",
                            "lastProbeTime": done,
                            "lastTransitionTime": done,
                            "reason": "CompletionsReached",
                            "message": "Reached expected number of succeeded pods",
                        },
                        {
                            "type": "Complete",
                            "status": "True",
                            "lastProbeTime": done,
                            "lastTransitionTime": done,
                            "reason": "CompletionsReached",
                            "message": "Reached expected number of succeeded pods",
                        },
                    ],
                },
            },
        )

    def report_rollup(self, ns: str) -> None:
        """A CronJob every two minutes, so Jobs start and complete while you watch."""
        containers = [container("rollup", "ghcr.io/acme/report-rollup:2.3.0")]
        self.add(
            "batch",
            "cronjobs",
            {
                "metadata": meta(
                    "report-rollup",
                    ns,
                    labels={"app": "report-rollup"},
                    created=clock.now_text(),
                ),
                "spec": {
                    "schedule": "*/2 * * * *",
                    "concurrencyPolicy": "Forbid",
                    "suspend": False,
                    "successfulJobsHistoryLimit": 2,
                    "failedJobsHistoryLimit": 1,
                    "jobTemplate": {
                        "spec": {
                            "backoffLimit": 1,
                            "template": _template(
                                {"app": "report-rollup"}, containers, restart="Never"
                            ),
                        }
                    },
                },
                "status": {},
            },
        )

    def audit_forwarder(self, ns: str) -> None:
        """Deployment audit-forwarder 0/1: its container exits at start (a missing
        setting), so its pod stays in CrashLoopBackOff for good."""
        # Long because it is object literals: the seed reads best as data.
        image = "ghcr.io/acme/audit-forwarder:0.4.1"
        containers = [container("forwarder", image, env={"AUDIT_SINK_URL": ""})]
        _, rs = self.deployment(
            ns,
            "audit-forwarder",
            "6f9c8",
            containers,
            replicas=1,
            ready=0,
            created=clock.ago(days=2),
        )
        created = clock.ago(days=2)
        crashed = clock.ago(minutes=3)
        crashing = pod(
            ns,
            AUDIT_FORWARDER_POD,
            labels={"app": "audit-forwarder", "pod-template-hash": "6f9c8"},
            owner=owner_ref(rs),
            node="node-1",
            host_ip=NODES["node-1"],
            pod_ip="10.244.1.57",
            containers=containers,
            states=[waiting("CrashLoopBackOff")],
            restarts=[41],
            created=created,
            last_states=[terminated("Error", 1, crashed, crashed)],
        )
        crashing["status"]["containerStatuses"][0]["state"] = waiting(
            "CrashLoopBackOff", backoff_message("5m0s", "forwarder", crashing)
        )
        made = self.add("", "pods", crashing)
        uid = made["metadata"]["uid"]
        self.add(
            "",
            "events",
            event(
                made,
                "BackOff",
                f"Back-off restarting failed container forwarder in pod "
                f"{AUDIT_FORWARDER_POD}_{ns}({uid})",
                type_="Warning",
                count=512,
                first=clock.ago(days=2),
                last=clock.ago(minutes=1),
                host="node-1",
                field_path="spec.containers{forwarder}",
            ),
        )

    def kube_system(self) -> None:
        """DaemonSet kube-proxy with one host-network pod per node."""
        ns = "kube-system"
        containers = [container("kube-proxy", "registry.k8s.io/kube-proxy:v1.37.1")]
        created = clock.ago(days=12)
        ds = self.add(
            "apps",
            "daemonsets",
            {
                "metadata": meta(
                    "kube-proxy", ns, labels={"k8s-app": "kube-proxy"}, created=created
                ),
                "spec": {
                    "selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                    "template": _template(
                        {"k8s-app": "kube-proxy"},
                        containers,
                        node_selector={"kubernetes.io/os": "linux"},
                    ),
                    "updateStrategy": {"type": "RollingUpdate"},
                },
                "status": {
                    "desiredNumberScheduled": 2,
                    "currentNumberScheduled": 2,
                    "numberReady": 2,
                    "updatedNumberScheduled": 2,
                    "numberAvailable": 2,
                    "numberMisscheduled": 0,
                    "observedGeneration": 1,
                },
            },
        )
        for name, node in [
            ("kube-proxy-7xk2m", "node-1"),
            ("kube-proxy-q4n8s", "node-2"),
        ]:
            self.add(
                "",
                "pods",
                pod(
                    ns,
                    name,
                    labels={"k8s-app": "kube-proxy", "pod-template-generation": "1"},
                    owner=owner_ref(ds),
                    node=node,
                    host_ip=NODES[node],
                    pod_ip=NODES[node],
                    containers=containers,
                    states=[running(created)],
                    created=created,
                    host_network=True,
                ),
            )

    def custom_resources(self) -> None:
        """CRDs certificates.example.com (namespaced) and clusterissuers (cluster)."""
        self.add(
            "apiextensions.k8s.io", "customresourcedefinitions", _certificate_crd()
        )
        self.add("apiextensions.k8s.io", "customresourcedefinitions", _issuer_crd())
        self.add(
            "example.com",
            "clusterissuers",
            {
                "metadata": meta("letsencrypt-staging", created=clock.ago(days=10)),
                "spec": {
                    "acme": {
                        "server": "https://acme-staging-v02.api.letsencrypt.org/directory",
                        "email": "platform@example.com",
                    }
                },
                "status": {
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "lastTransitionTime": clock.ago(days=10),
                        }
                    ]
                },
            },
        )
        self.add(
            "example.com",
            "certificates",
            {
                "metadata": meta("api-cert", "payments", created=clock.ago(days=3)),
                "spec": {
                    "secretName": "api-tls",
                    "dnsNames": ["payments.example.com"],
                    "duration": "2160h",
                    "renewBefore": "360h",
                    "issuerRef": {
                        "kind": "ClusterIssuer",
                        "name": "letsencrypt-staging",
                    },
                },
                "status": {
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "Ready",
                            "message": "Certificate is up to date",
                            "lastTransitionTime": clock.ago(days=3),
                        }
                    ],
                    "notAfter": clock.ago(days=-87),
                },
            },
        )

    # Helpers

    def deployment(
        self,
        ns: str,
        name: str,
        hash_: str,
        containers: list[Json],
        *,
        replicas: int,
        ready: int,
        created: str,
    ) -> tuple[Json, Json]:
        """A Deployment and its current ReplicaSet, with consistent status."""
        labels = {"app": name}
        status = _workload_status(replicas, ready)
        available = "True" if ready else "False"
        deploy = self.add(
            "apps",
            "deployments",
            {
                "metadata": meta(
                    name,
                    ns,
                    labels=labels,
                    created=created,
                    annotations={"deployment.kubernetes.io/revision": "1"},
                ),
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": labels},
                    "template": _template(labels, containers),
                    "strategy": {
                        "type": "RollingUpdate",
                        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
                    },
                    "revisionHistoryLimit": 10,
                    "progressDeadlineSeconds": 600,
                },
                "status": {
                    **status,
                    "updatedReplicas": replicas,
                    "conditions": [
                        {
                            "type": "Available",
                            "status": available,
                            "reason": "MinimumReplicasAvailable"
                            if ready
                            else "MinimumReplicasUnavailable",
                            "message": "Deployment has minimum availability."
                            if ready
                            else "Deployment does not have minimum availability.",
                            "lastUpdateTime": created,
                            "lastTransitionTime": created,
                        },
                        {
                            "type": "Progressing",
                            "status": "True",
                            "reason": "NewReplicaSetAvailable",
                            "message": f'ReplicaSet "{name}-{hash_}" has successfully progressed.',
                            "lastUpdateTime": created,
                            "lastTransitionTime": created,
                        },
                    ],
                },
            },
        )
        rs_labels = {**labels, "pod-template-hash": hash_}
        rs = self.add(
            "apps",
            "replicasets",
            {
                "metadata": meta(
                    f"{name}-{hash_}",
                    ns,
                    labels=rs_labels,
                    created=created,
                    owner=owner_ref(deploy),
                    annotations={
                        "deployment.kubernetes.io/desired-replicas": str(replicas),
                        "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                        "deployment.kubernetes.io/revision": "1",
                    },
                ),
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": rs_labels},
                    "template": _template(rs_labels, containers),
                },
                "status": {**status, "fullyLabeledReplicas": replicas},
            },
        )
        return deploy, rs

    def pod_events(self, pods: list[Json], image: str, name: str) -> None:
        """The start-up events of healthy pods (Scheduled, Pulled, Created, Started)."""
        for made in pods:
            node = made["spec"]["nodeName"]
            when = made["metadata"]["creationTimestamp"]
            ns, pod_name = made["metadata"]["namespace"], made["metadata"]["name"]
            path = f"spec.containers{{{name}}}"
            self.add(
                "",
                "events",
                event(
                    made,
                    "Scheduled",
                    f"Successfully assigned {ns}/{pod_name} to {node}",
                    first=when,
                    component="default-scheduler",
                ),
            )
            self.add(
                "",
                "events",
                event(
                    made,
                    "Pulled",
                    f'Container image "{image}" already present on machine',
                    first=when,
                    host=node,
                    field_path=path,
                ),
            )
            self.add(
                "",
                "events",
                event(
                    made,
                    "Created",
                    f"Created container: {name}",
                    first=when,
                    host=node,
                    field_path=path,
                ),
            )
            self.add(
                "",
                "events",
                event(
                    made,
                    "Started",
                    f"Started container {name}",
                    first=when,
                    host=node,
                    field_path=path,
                ),
            )


def seed(store: Store, registry: KindRegistry) -> None:
    """Fill an empty store with the demo cluster."""
    Seeder(store, registry).run()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _workload_status(replicas: int, ready: int) -> Json:
    status: Json = {"observedGeneration": 1, "replicas": replicas}
    if ready:
        status["readyReplicas"] = ready
        status["availableReplicas"] = ready
    if replicas > ready:
        status["unavailableReplicas"] = replicas - ready
    return status


def _template(
    labels: dict[str, str],
    containers: list[Json],
    annotations: dict[str, str] | None = None,
    node_selector: dict[str, str] | None = None,
    restart: str | None = None,
) -> Json:
    template_meta: Json = {"labels": dict(labels)} if labels else {}
    if annotations:
        template_meta["annotations"] = dict(annotations)
    spec: Json = {
        "containers": [
            {k: v for k, v in c.items() if k != "volumeMounts"} for c in containers
        ],
        "restartPolicy": restart or ("Always" if labels else "OnFailure"),
        "dnsPolicy": "ClusterFirst",
        "terminationGracePeriodSeconds": 30,
    }
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"metadata": template_meta, "spec": spec}


def _service(
    ns: str,
    name: str,
    cluster_ip: str,
    ports: list[tuple[str, int, int]],
    selector: dict[str, str] | None,
    labels: dict[str, str] | None = None,
) -> Json:
    spec: Json = {
        "type": "ClusterIP",
        "clusterIP": cluster_ip,
        "clusterIPs": [cluster_ip],
        "ports": [
            {"name": n, "port": p, "targetPort": t, "protocol": "TCP"}
            for n, p, t in ports
        ],
        "sessionAffinity": "None",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "internalTrafficPolicy": "Cluster",
    }
    if selector:
        spec["selector"] = selector
    return {
        "metadata": meta(
            name,
            ns,
            labels=labels or dict(selector or {}),
            created=clock.ago(days=12 if ns == "default" else 3),
        ),
        "spec": spec,
        "status": {"loadBalancer": {}},
    }


def _endpoints(
    ns: str,
    name: str,
    ready: list[tuple[str, str | None]],
    not_ready: list[tuple[str, str | None]],
    ports: list[tuple[str, int]],
) -> Json:
    def address(ip: str, pod_name: str | None) -> Json:
        entry: Json = {"ip": ip}
        if pod_name:
            entry["targetRef"] = {"kind": "Pod", "namespace": ns, "name": pod_name}
        return entry

    subset: Json = {
        "ports": [{"name": n, "port": p, "protocol": "TCP"} for n, p in ports]
    }
    if ready:
        subset["addresses"] = [address(*a) for a in ready]
    if not_ready:
        subset["notReadyAddresses"] = [address(*a) for a in not_ready]
    return {
        "metadata": meta(name, ns, created=clock.ago(days=3)),
        "subsets": [subset] if ready or not_ready else [],
    }


def _node(name: str, address: str, control_plane: bool) -> Json:
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": "zone-a" if control_plane else "zone-b",
    }
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    beat = clock.ago(seconds=20)
    created = clock.ago(days=12)

    def condition(type_: str, status: str, reason: str, message: str) -> Json:
        return {
            "type": type_,
            "status": status,
            "lastHeartbeatTime": beat,
            "lastTransitionTime": created,
            "reason": reason,
            "message": message,
        }

    return {
        "metadata": meta(
            name,
            labels=labels,
            created=created,
            annotations={
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        ),
        "spec": {
            "podCIDR": f"10.244.{name[-1]}.0/24",
            "podCIDRs": [f"10.244.{name[-1]}.0/24"],
            "providerID": f"sandbox://{name}",
        },
        "status": {
            "capacity": {
                "cpu": "4",
                "memory": "16318128Ki",
                "pods": "110",
                "ephemeral-storage": "102626232Ki",
            },
            "allocatable": {
                "cpu": "4",
                "memory": "16215728Ki",
                "pods": "110",
                "ephemeral-storage": "94580335255",
            },
            "conditions": [
                condition(
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                ),
                condition(
                    "DiskPressure",
                    "False",
                    "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure",
                ),
                condition(
                    "PIDPressure",
                    "False",
                    "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available",
                ),
                condition(
                    "Ready", "True", "KubeletReady", "kubelet is posting ready status"
                ),
            ],
            "addresses": [
                {"type": "InternalIP", "address": address},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": secrets.token_hex(16),
                "systemUUID": secrets.token_hex(16),
                "bootID": secrets.token_hex(16),
                "kernelVersion": "6.8.0-51-generic",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://2.1.4",
                "kubeletVersion": "v1.37.1",
                "kubeProxyVersion": "v1.37.1",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def _certificate_crd() -> Json:
    return {
        "metadata": meta("certificates.example.com", created=clock.ago(days=10)),
        "spec": {
            "group": "example.com",
            "names": {
                "plural": "certificates",
                "singular": "certificate",
                "kind": "Certificate",
                "listKind": "CertificateList",
                "shortNames": ["cert", "certs"],
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        {
                            "name": "Ready",
                            "type": "string",
                            "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
                        },
                        {
                            "name": "Secret",
                            "type": "string",
                            "jsonPath": ".spec.secretName",
                        },
                        {
                            "name": "Age",
                            "type": "date",
                            "jsonPath": ".metadata.creationTimestamp",
                        },
                    ],
                }
            ],
            "conversion": {"strategy": "None"},
        },
        "status": _crd_status("certificates", "Certificate"),
    }


def _issuer_crd() -> Json:
    return {
        "metadata": meta("clusterissuers.example.com", created=clock.ago(days=10)),
        "spec": {
            "group": "example.com",
            "names": {
                "plural": "clusterissuers",
                "singular": "clusterissuer",
                "kind": "ClusterIssuer",
                "listKind": "ClusterIssuerList",
            },
            "scope": "Cluster",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        {
                            "name": "Ready",
                            "type": "string",
                            "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
                        },
                        {
                            "name": "Age",
                            "type": "date",
                            "jsonPath": ".metadata.creationTimestamp",
                        },
                    ],
                }
            ],
        },
        "status": _crd_status("clusterissuers", "ClusterIssuer"),
    }


def _crd_status(plural: str, kind: str) -> Json:
    when = clock.ago(days=10)
    return {
        "acceptedNames": {"plural": plural, "kind": kind},
        "storedVersions": ["v1"],
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "reason": "NoConflicts",
                "message": "no conflicts found",
                "lastTransitionTime": when,
            },
            {
                "type": "Established",
                "status": "True",
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
                "lastTransitionTime": when,
            },
        ],
    }


_ROOT_CA_NOTE = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using "
    "internal endpoints such as the internal service IP or kubernetes.default.svc. "
    "No other usage is guaranteed across distributions of Kubernetes clusters."
)

_BACK_OFF_PULL = 'Back-off pulling image "{image}"'

_PULL_FAILED = (
    'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
    'failed to resolve reference "{image}": {image}: not found'
)

_API_CONFIG = """\
server:
  port: 8080
  readTimeout: 15s
  writeTimeout: 30s
ledger:
  url: postgres://ledger-db:5432/ledger
  poolSize: 20
payments:
  providers: [stripe, adyen]
  retry:
    attempts: 5
    backoff: 250ms
"""
