"""The blueprint language: pydantic v2 models of a whole Fabric network.

Every model forbids unknown keys and is strict about types (a YAML `yes` is not a bool, a
number is not a name). Defaults follow Fabric's own and the reference deployment's sizing.
Node settings are declared once (`PeerSettings`, `OrdererSettings`) and used both for the
organisation-level defaults and the per-node overrides; analysis layers them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from compiler.blueprint.types import (
    AttributeName,
    ByteSize,
    ChaincodeName,
    ChannelName,
    CollectionName,
    Cron,
    DnsSubdomain,
    Duration,
    ImageRef,
    LabelMap,
    MspId,
    Name,
    Quantity,
    Version,
)

API_VERSION = "hlfc/v1alpha1"
KIND = "FabricNetwork"


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
    )


# --- shared building blocks -------------------------------------------------------------


class ResourceList(Model):
    cpu: Quantity | None = None
    memory: Quantity | None = None


class Resources(Model):
    """Container requests and limits. Keys left out inherit from the level above."""

    requests: ResourceList = ResourceList()
    limits: ResourceList = ResourceList()


class Volume(Model):
    size: Quantity | None = None
    storage_class: Name | None = Field(
        default=None, description="StorageClass; defaults to the node's cluster storageClass"
    )


class SecretRef(Model):
    """A Kubernetes Secret that holds a credential. hlfc never sees the value.

    With `spec.secrets.store` set, hlfc renders an ExternalSecret that creates this Secret
    from `remoteKey` in the store; otherwise the Secret must already exist in the cluster.
    """

    name: Name
    remote_key: str | None = Field(
        default=None, min_length=1, description="path of the value in the external store"
    )


# --- fabric ------------------------------------------------------------------------------


class Images(Model):
    """Image repositories, or full references with a tag or an `@sha256:` digest.

    A repository without tag or digest gets the Fabric version as its tag.
    """

    peer: ImageRef = "hyperledger/fabric-peer"
    orderer: ImageRef = "hyperledger/fabric-orderer"
    ca: ImageRef = "hyperledger/fabric-ca"
    tools: ImageRef = "hyperledger/fabric-tools"
    couchdb: ImageRef = "couchdb:3.4.3"
    enroller: ImageRef = "ghcr.io/hlfc-dev/hlfc-enroller:0.1.0"


class Fabric(Model):
    version: Version = Field(default="2.5.16", description="peer, orderer and tools image tag")
    ca_version: Version = Field(default="1.5.21", description="Fabric CA image tag")
    images: Images = Images()
    logging_spec: str = Field(
        default="INFO", min_length=1, description="FABRIC_LOGGING_SPEC of every node"
    )


# --- clusters ----------------------------------------------------------------------------


class ArgoDestination(Model):
    """Where Argo CD delivers this cluster's manifests: a registered server URL or name."""

    server: str | None = Field(default=None, pattern=r"^https://\S+$")
    name: str | None = Field(default=None, min_length=1)


class Ingress(Model):
    """How other clusters reach this one's Fabric endpoints."""

    kind: Literal["istio", "loadBalancer", "none"] = "none"
    gateway: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]+/[a-z0-9-]+$",
        description="Istio gateway as namespace/name (kind: istio)",
    )
    port: int = Field(default=443, ge=1, le=65535)

    @property
    def gateway_namespace(self) -> str | None:
        return self.gateway.split("/", 1)[0] if self.gateway else None


class Cluster(Model):
    name: Name
    argocd: ArgoDestination = ArgoDestination()
    zone: str | None = Field(default=None, description="failure domain, for topology spread")
    external_domain: DnsSubdomain | None = Field(
        default=None, description="`<component>.<externalDomain>` is dialled across clusters"
    )
    storage_class: Name | None = None
    ingress: Ingress = Ingress()


# --- organisations -----------------------------------------------------------------------


class CsrSubject(Model):
    """Subject of the CA's self-signed root (`csr.names` in fabric-ca-server-config)."""

    country: str = Field(default="US", alias="C")
    state: str = Field(default="North Carolina", alias="ST")
    locality: str = Field(default="Durham", alias="L")
    organization: str | None = Field(default=None, alias="O")
    organizational_unit: str | None = Field(default=None, alias="OU")


class ImportedRoot(Model):
    """An existing root to serve instead of a generated one: public cert in git, key in a Secret."""

    cert: str = Field(pattern=r"^-----BEGIN CERTIFICATE-----", description="PEM certificate")
    key_secret: SecretRef


class CertificateAuthority(Model):
    cluster: Name
    name: Name = Field(default="ca", description="CA name (`caname`) of the enrollment CA")
    tls_name: Name = Field(default="tlsca", description="CA name of the TLS CA in the same server")
    subject: CsrSubject = CsrSubject()
    hosts: list[DnsSubdomain] = Field(default_factory=list, description="extra TLS SANs")
    storage: Volume = Volume(size="5Gi")
    resources: Resources = Resources(
        requests=ResourceList(cpu="100m", memory="256Mi"),
        limits=ResourceList(cpu="500m", memory="512Mi"),
    )
    registrar: SecretRef | None = Field(
        default=None,
        description="bootstrap registrar (keys `username`, `password`); "
        "default Secret `<org>-ca-registrar`",
    )
    import_root: ImportedRoot | None = None
    import_tls_root: ImportedRoot | None = None


class Gossip(Model):
    use_leader_election: bool = True
    org_leader: bool = False


class PeerStorage(Model):
    ledger: Volume = Volume(size="20Gi")
    state_db: Volume = Volume(size="10Gi")
    chaincode: Volume = Volume(size="5Gi")


class PeerResources(Model):
    peer: Resources = Resources(
        requests=ResourceList(cpu="250m", memory="512Mi"),
        limits=ResourceList(cpu="1", memory="1Gi"),
    )
    couchdb: Resources = Resources(
        requests=ResourceList(cpu="100m", memory="256Mi"),
        limits=ResourceList(cpu="500m", memory="1Gi"),
    )


class PeerSettings(Model):
    """Everything a peer can set; an organisation's `peerDefaults` uses the same keys."""

    state_db: Literal["leveldb", "couchdb"] = "leveldb"
    storage: PeerStorage = PeerStorage()
    resources: PeerResources = PeerResources()
    gossip: Gossip = Gossip()
    couchdb_credentials: SecretRef | None = Field(
        default=None, description="CouchDB admin (keys `username`, `password`)"
    )


class Peer(PeerSettings):
    name: Name
    cluster: Name
    anchor: bool = False


class OrdererSettings(Model):
    storage: Volume = Volume(size="50Gi")
    resources: Resources = Resources(
        requests=ResourceList(cpu="250m", memory="512Mi"),
        limits=ResourceList(cpu="1", memory="1Gi"),
    )


class Orderer(OrdererSettings):
    name: Name
    cluster: Name


class AppIdentity(Model):
    """An application identity the enroller registers and enrolls into Secrets."""

    name: Name
    type: Literal["client", "admin"] = "client"
    affiliation: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", examples=["org1.department1"]
    )
    attributes: dict[AttributeName, str] = Field(
        default_factory=dict, description="put into the certificate (ecert) for ABAC"
    )


class Organization(Model):
    name: Name
    msp_id: MspId = Field(alias="mspID")
    namespace: Name | None = Field(default=None, description="defaults to the organisation name")
    ca: CertificateAuthority
    peer_defaults: PeerSettings = PeerSettings()
    peers: list[Peer] = Field(default_factory=list)
    orderer_defaults: OrdererSettings = OrdererSettings()
    orderers: list[Orderer] = Field(default_factory=list)
    identities: list[AppIdentity] = Field(
        default_factory=list, description="application identities (clients, admins)"
    )


# --- channels ----------------------------------------------------------------------------


class Capabilities(Model):
    channel: Literal["V2_0", "V3_0"] = "V2_0"
    orderer: Literal["V2_0"] = "V2_0"
    application: Literal["V2_0", "V2_5"] = "V2_5"


class Batch(Model):
    """Fabric's defaults (configtx.yaml of the 2.5 sample config)."""

    timeout: Duration = "2s"
    max_message_count: int = Field(default=500, ge=1)
    absolute_max_bytes: ByteSize = "10 MB"
    preferred_max_bytes: ByteSize = "2 MB"


class Raft(Model):
    tick_interval: Duration = "500ms"
    election_tick: int = Field(default=10, ge=1)
    heartbeat_tick: int = Field(default=1, ge=1)
    max_inflight_blocks: int = Field(default=5, ge=1)
    snapshot_interval_size: ByteSize = "16 MB"


class Policy(Model):
    type: Literal["ImplicitMeta", "Signature"]
    rule: str = Field(min_length=1)


PolicySet = dict[str, Policy]


class ChannelPolicies(Model):
    """Overrides; anything not given keeps Fabric's default policy."""

    channel: PolicySet = Field(default_factory=dict)
    orderer: PolicySet = Field(default_factory=dict)
    application: PolicySet = Field(default_factory=dict)


class EndorsementPolicy(Model):
    """Exactly one of: a signature policy in Fabric's syntax, or a channel policy path."""

    signature: str | None = Field(
        default=None, min_length=1, examples=["AND('Org1MSP.peer', 'Org2MSP.peer')"]
    )
    channel_policy: str | None = Field(
        default=None,
        pattern=r"^/Channel/Application/[A-Za-z0-9_]+$",
        examples=["/Channel/Application/Endorsement"],
    )

    @model_validator(mode="after")
    def _one_kind(self) -> EndorsementPolicy:
        if (self.signature is None) == (self.channel_policy is None):
            raise ValueError("give exactly one of `signature` and `channelPolicy`")
        return self


class PrivateCollection(Model):
    """A private data collection, as Fabric's collection config has it."""

    name: CollectionName
    policy: str = Field(
        min_length=1,
        description="member organisations: a signature policy over `.member` principals",
        examples=["OR('Org1MSP.member', 'Org2MSP.member')"],
    )
    required_peer_count: int = Field(default=0, ge=0)
    max_peer_count: int = Field(default=1, ge=0)
    block_to_live: int = Field(default=0, ge=0, description="0: the data is never purged")
    member_only_read: bool = True
    member_only_write: bool = True
    endorsement_policy: EndorsementPolicy | None = Field(
        default=None, description="writes to this collection; default: the chaincode's policy"
    )


class Chaincode(Model):
    """Chaincode as a service: the image runs as a server beside each running org's peers."""

    name: ChaincodeName
    version: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.+-]+$")
    sequence: int = Field(ge=1, description="raise it with every change of the definition")
    image: ImageRef
    organizations: list[Name] | None = Field(
        default=None, description="organisations that run it (install, serve); default: members"
    )
    endorsement_policy: EndorsementPolicy | None = Field(
        default=None, description="default: the channel's /Channel/Application/Endorsement"
    )
    init_required: bool = False
    collections: list[PrivateCollection] = Field(default_factory=list)
    replicas: int = Field(default=1, ge=1, le=10, description="chaincode server pods per org")
    resources: Resources = Resources(
        requests=ResourceList(cpu="50m", memory="64Mi"),
        limits=ResourceList(cpu="500m", memory="256Mi"),
    )


class Channel(Model):
    name: ChannelName
    orderer_organizations: list[Name] = Field(min_length=1)
    consenters: list[Name] | None = Field(
        default=None,
        description="orderer names; default: every orderer of the orderer organisations",
    )
    members: list[Name] = Field(min_length=1)
    admins: list[Name] | None = Field(
        default=None, description="organisations whose admins govern; default: all members"
    )
    capabilities: Capabilities = Capabilities()
    policies: ChannelPolicies = ChannelPolicies()
    acls: dict[str, str] = Field(
        default_factory=dict, description="overrides of Fabric's default ACL table"
    )
    batch: Batch = Batch()
    raft: Raft = Raft()
    chaincodes: list[Chaincode] = Field(default_factory=list)


# --- cross-cutting -----------------------------------------------------------------------


class Safety(Model):
    tolerate_cluster_loss: int | None = Field(
        default=None,
        ge=0,
        description="clusters that may be lost with every channel keeping Raft quorum; "
        "default 1 when consenters span several clusters, else 0",
    )
    development: bool = Field(
        default=False, description="allow fewer than 3 consenters (never for production)"
    )


class Security(Model):
    pod_security: Literal["restricted", "baseline"] = "restricted"
    network_policies: bool = True
    run_as_user: int = Field(default=1000, ge=1)
    run_as_group: int = Field(default=1000, ge=1)
    fs_group: int = Field(default=1000, ge=1)
    renew_at: float = Field(
        default=0.8, gt=0, lt=1, description="fraction of a certificate's lifetime before renewal"
    )
    certificate_lifetime: Duration = Field(
        default="8760h",
        description="lifetime of the certificates the CAs issue (signing and TLS); the "
        "renewal CronJobs re-enroll at renewAt of it",
    )


class SecretStore(Model):
    kind: Literal["ClusterSecretStore", "SecretStore"] = "ClusterSecretStore"
    name: Name


class Secrets(Model):
    store: SecretStore | None = Field(
        default=None, description="External Secrets store; without it, Secrets must exist"
    )
    refresh_interval: Duration = "1h"


class AlertThresholds(Model):
    pvc_usage_warning_percent: int = Field(default=80, ge=1, le=100)
    pvc_usage_critical_percent: int = Field(default=90, ge=1, le=100)
    certificate_expiry_days: int = Field(default=21, ge=1)
    height_lag_blocks: int = Field(default=10, ge=1)
    leader_changes_per_hour: int = Field(default=3, ge=1)


class Blackbox(Model):
    """A blackbox exporter that probes TLS endpoints: certificate expiry and cross-cluster
    reachability without a custom exporter. Its config needs a module like
    `hlfc_tls: {prober: tcp, tcp: {tls: true, tls_config: {insecure_skip_verify: true}}}`."""

    url: str = Field(
        default="blackbox-exporter.monitoring.svc:9115", pattern=r"^[a-z0-9.-]+(:[0-9]+)?$"
    )
    module: str = Field(default="hlfc_tls", min_length=1)


class Monitoring(Model):
    prometheus_operator: bool = True
    namespace: Name = Field(
        default="monitoring", description="where Prometheus runs; admitted to port 9443"
    )
    global_view: bool = Field(
        default=False,
        description="each cluster's Prometheus also sees the other clusters' Fabric metrics "
        "(Thanos, federation); enables channel-wide alerts on multi-cluster channels",
    )
    blackbox: Blackbox | None = Field(
        default_factory=Blackbox, description="null: no certificate or reachability probes"
    )
    labels: LabelMap = Field(
        default_factory=dict, description="labels Prometheus selects ServiceMonitors/rules by"
    )
    thresholds: AlertThresholds = AlertThresholds()


class Velero(Model):
    namespace: Name = "velero"
    schedule: Cron = "0 2 * * *"
    ttl: Duration = "168h"
    storage_location: str = Field(default="default", min_length=1)
    snapshot_volumes: bool = True
    backup_before_upgrade: bool = True


class Backup(Model):
    velero: Velero | None = None


class StorageClass(Model):
    name: Name
    provisioner: str = Field(min_length=1)
    parameters: dict[str, str] = Field(default_factory=dict)
    snapshot_driver: str | None = Field(
        default=None, description="CSI driver for the VolumeSnapshotClass; default: provisioner"
    )


class ArgoCD(Model):
    namespace: Name = "argocd"
    project: Name = "fabric"
    repo_url: str = Field(alias="repoURL", pattern=r"^(https://|ssh://|git@)\S+$")
    target_revision: str = Field(default="main", min_length=1)
    path: str = Field(default="output", min_length=1)


# --- the document ------------------------------------------------------------------------


class NetworkSpec(Model):
    fabric: Fabric = Fabric()
    clusters: list[Cluster] = Field(min_length=1)
    secrets: Secrets = Secrets()
    organizations: list[Organization] = Field(min_length=1)
    channels: list[Channel] = Field(default_factory=list)
    safety: Safety = Safety()
    security: Security = Security()
    storage_classes: list[StorageClass] = Field(default_factory=list)
    monitoring: Monitoring = Monitoring()
    backup: Backup = Backup()
    argocd: ArgoCD


class Metadata(Model):
    name: Name
    labels: LabelMap = Field(default_factory=dict)


class Blueprint(Model):
    """A FabricNetwork blueprint (`apiVersion: hlfc/v1alpha1`, `kind: FabricNetwork`)."""

    api_version: Literal["hlfc/v1alpha1"]
    kind: Literal["FabricNetwork"]
    metadata: Metadata
    spec: NetworkSpec
