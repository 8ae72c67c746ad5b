"""The blueprint language: pydantic v2 models of a whole Fabric network.

Every model forbids unknown keys and is strict about types (a YAML `yes` is not a bool, a
number is not a name). Defaults follow Fabric's own and the reference deployment's sizing.
Node settings are declared once (`PeerSettings`, `OrdererSettings`) and used both for the
organisation-level defaults and the per-node overrides; analysis layers them.

Every field has a description and every title is in words: editors complete from the JSON
Schema generated here, and `hlfc schema` refuses a field without them
(compiler/blueprint/schema.py).
"""

from __future__ import annotations

import re
from typing import Any, Literal

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


# Words a title writes in their own spelling, not as lower-case words.
TITLE_WORDS = {
    "acl": "ACL",
    "acls": "ACLs",
    "api": "API",
    "argocd": "Argo CD",
    "ca": "CA",
    "couchdb": "CouchDB",
    "cpu": "CPU",
    "csr": "CSR",
    "db": "DB",
    "fs": "FS",
    "id": "ID",
    "msp": "MSP",
    "ou": "OU",
    "pvc": "PVC",
    "tls": "TLS",
    "ttl": "TTL",
    "url": "URL",
}
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def words(name: str) -> list[str]:
    """The words of a snake_case, camelCase or CamelCase name, each in its own case:
    `repo_url` ["repo", "url"], `repoURL` ["repo", "URL"], `ArgoCD` ["Argo", "CD"]."""
    return _WORD.findall(name)


def human_title(name: str) -> str:
    """A schema title in sentence case: `msp_id` "MSP ID", `CsrSubject` "CSR subject"."""
    out = [TITLE_WORDS.get(w.lower(), w if w.isupper() else w.lower()) for w in words(name)]
    title = " ".join(out)
    return title[:1].upper() + title[1:]


def _field_title(name: str, _info: Any) -> str:
    return human_title(name)


def _model_title(model: type) -> str:
    return human_title(model.__name__)


class Model(BaseModel):
    """Every blueprint model: strict, closed, camelCase keys, titles in words (the schema)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
        field_title_generator=_field_title,
        model_title_generator=_model_title,
        defer_build=True,
    )


# --- shared building blocks -------------------------------------------------------------


class ResourceList(Model):
    cpu: Quantity | None = Field(
        default=None, description="CPU, a Kubernetes quantity such as 250m or 1"
    )
    memory: Quantity | None = Field(
        default=None, description="memory, a Kubernetes quantity such as 512Mi or 1Gi"
    )


class Resources(Model):
    """Container requests and limits. Keys left out inherit from the level above."""

    requests: ResourceList = Field(
        default=ResourceList(), description="what the scheduler reserves for the container"
    )
    limits: ResourceList = Field(
        default=ResourceList(), description="the most the container may use"
    )


class Volume(Model):
    size: Quantity | None = Field(
        default=None,
        description="size of the claim, a Kubernetes quantity such as 20Gi; "
        "default: the built-in size of this volume",
    )
    storage_class: Name | None = Field(
        default=None, description="StorageClass; defaults to the node's cluster storageClass"
    )


class SecretRef(Model):
    """A Kubernetes Secret that holds a credential. hlfc never sees the value.

    With `spec.secrets.store` set, hlfc renders an ExternalSecret that creates this Secret
    from `remoteKey` in the store; otherwise the Secret must already exist in the cluster.
    """

    name: Name = Field(
        description="name of the Secret, in the namespace of every pod that reads it"
    )
    remote_key: str | None = Field(
        default=None, min_length=1, description="path of the value in the external store"
    )


# --- fabric ------------------------------------------------------------------------------


class Images(Model):
    """Image repositories, or full references with a tag or an `@sha256:` digest.

    A repository without tag or digest gets the Fabric version as its tag.
    """

    peer: ImageRef = Field(
        default="hyperledger/fabric-peer",
        description="peer image; tagged with fabric.version unless it names a tag or digest",
    )
    orderer: ImageRef = Field(
        default="hyperledger/fabric-orderer",
        description="orderer image; tagged with fabric.version unless it names a tag or digest",
    )
    ca: ImageRef = Field(
        default="hyperledger/fabric-ca",
        description="Fabric CA server image; tagged with fabric.caVersion unless it names a "
        "tag or digest",
    )
    tools: ImageRef = Field(
        default="hyperledger/fabric-tools",
        description="image of the channel and chaincode lifecycle Jobs; tagged with "
        "fabric.version unless it names a tag or digest",
    )
    couchdb: ImageRef = Field(
        default="couchdb:3.4.3",
        description="CouchDB image of the peers' state database sidecar, used as given",
    )
    enroller: ImageRef = Field(
        default="ghcr.io/hlfc-dev/hlfc-enroller:0.1.0",
        description="hlfc's enroller image (enrollment, renewal and revocation Jobs, the "
        "channel Jobs' trust sidecar), used as given",
    )


class Fabric(Model):
    version: Version = Field(
        default="2.5.16", description="Fabric version: the peer, orderer and tools image tag"
    )
    ca_version: Version = Field(default="1.5.21", description="Fabric CA image tag")
    images: Images = Field(
        default=Images(), description="the images of every container hlfc renders"
    )
    logging_spec: str = Field(
        default="INFO", min_length=1, description="FABRIC_LOGGING_SPEC of every node"
    )


# --- clusters ----------------------------------------------------------------------------


class ArgoDestination(Model):
    """Where Argo CD delivers this cluster's manifests: a registered server URL or name."""

    server: str | None = Field(
        default=None,
        pattern=r"^https://\S+$",
        description="API server URL of the cluster as registered in Argo CD, such as "
        "https://kubernetes.default.svc for Argo CD's own",
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        description="name of the cluster as registered in Argo CD; default (without server): "
        "the blueprint's cluster name",
    )


class Ingress(Model):
    """How other clusters reach this one's Fabric endpoints."""

    kind: Literal["istio", "gatewayApi", "loadBalancer", "none"] = Field(
        default="none",
        description="istio: TLS routed by SNI through an Istio gateway; gatewayApi: TLS "
        "routed by SNI through a Gateway API Gateway hlfc renders (TLSRoute passthrough per "
        "endpoint); loadBalancer: a LoadBalancer Service per node; none: not reachable from "
        "other clusters",
    )
    gateway: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]+/[a-z0-9-]+$",
        description="namespace/name of the gateway: Istio's ingress gateway (kind: istio, "
        "its pods labelled istio=<name>), or the Gateway hlfc renders, one per cluster "
        "(kind: gatewayApi; default <network>-gateway/fabric, in a namespace hlfc renders)",
    )
    gateway_class: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        max_length=253,
        description="gatewayClassName of the Gateway (kind: gatewayApi): the implementation "
        "installed in the cluster that serves it, e.g. istio, cilium, eg (Envoy Gateway)",
    )
    proxy_namespace: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]+$",
        description="namespace of the pods that carry the gateway's traffic, let through the "
        "NetworkPolicies (kind: istio or gatewayApi); default: the gateway's namespace. Envoy "
        "Gateway runs its proxies in envoy-gateway-system",
    )
    port: int = Field(
        default=443,
        ge=1,
        le=65535,
        description="gateway port every external endpoint is dialled on (kind: istio or "
        "gatewayApi); a LoadBalancer keeps Fabric's own ports",
    )

    @property
    def by_sni(self) -> bool:
        """Every endpoint shares the gateway's one TLS port, routed by server name."""
        return self.kind in ("istio", "gatewayApi")

    @property
    def gateway_namespace(self) -> str | None:
        return self.gateway.split("/", 1)[0] if self.gateway else None


class Cluster(Model):
    name: Name = Field(
        description="cluster name: nodes name it, and its manifests go to output/<network>/<name>/"
    )
    argocd: ArgoDestination = Field(
        default=ArgoDestination(),
        description="where Argo CD deploys this cluster's Application",
    )
    zone: str | None = Field(
        default=None,
        description="the cluster's failure domain, such as a cloud region; for readers, "
        "nothing is rendered from it",
    )
    external_domain: DnsSubdomain | None = Field(
        default=None,
        description="other clusters dial this cluster's nodes as `<org>-<node>.<externalDomain>`",
    )
    storage_class: Name | None = Field(
        default=None,
        description="StorageClass of the claims in this cluster unless a volume names its "
        "own; default: the cluster's default StorageClass",
    )
    ingress: Ingress = Field(
        default=Ingress(), description="how other clusters reach the nodes in this cluster"
    )


# --- organisations -----------------------------------------------------------------------


class CsrSubject(Model):
    """Subject of the CA's self-signed root (`csr.names` in fabric-ca-server-config)."""

    country: str = Field(default="US", alias="C", description="country (C)")
    state: str = Field(default="North Carolina", alias="ST", description="state or province (ST)")
    locality: str = Field(default="Durham", alias="L", description="locality or city (L)")
    organization: str | None = Field(
        default=None, alias="O", description="organisation (O); default: the organisation's name"
    )
    organizational_unit: str | None = Field(
        default=None, alias="OU", description="organisational unit (OU); default: none"
    )


class ImportedRoot(Model):
    """An existing root to serve instead of a generated one: public cert in git, key in a Secret."""

    cert: str = Field(
        pattern=r"^-----BEGIN CERTIFICATE-----", description="the root's PEM certificate"
    )
    key_secret: SecretRef = Field(
        description="Secret holding the root's PEM private key under the key `key.pem`"
    )


class CertificateAuthority(Model):
    cluster: Name = Field(description="cluster the CA server runs in")
    name: Name = Field(default="ca", description="CA name (`caname`) of the enrollment CA")
    tls_name: Name = Field(default="tlsca", description="CA name of the TLS CA in the same server")
    subject: CsrSubject = Field(
        default=CsrSubject(), description="subject of both CAs' self-signed root certificates"
    )
    hosts: list[DnsSubdomain] = Field(
        default_factory=list,
        description="extra TLS SANs of the CA server, besides the names it is dialled by",
    )
    storage: Volume = Field(
        default=Volume(size="5Gi"),
        description="volume of the CA server's home: its keys and its database",
    )
    resources: Resources = Field(
        default=Resources(
            requests=ResourceList(cpu="100m", memory="256Mi"),
            limits=ResourceList(cpu="500m", memory="512Mi"),
        ),
        description="CPU and memory of the CA container",
    )
    registrar: SecretRef | None = Field(
        default=None,
        description="bootstrap registrar (keys `username`, `password`); "
        "default Secret `<org>-ca-registrar`",
    )
    import_root: ImportedRoot | None = Field(
        default=None,
        description="an existing root for the enrollment CA instead of a generated one; "
        "enrollment then trusts only it",
    )
    import_tls_root: ImportedRoot | None = Field(
        default=None,
        description="an existing root for the TLS CA instead of a generated one",
    )


class Gossip(Model):
    use_leader_election: bool = Field(
        default=True,
        description="the organisation's peers elect the one that pulls blocks from the "
        "orderers (CORE_PEER_GOSSIP_USELEADERELECTION)",
    )
    org_leader: bool = Field(
        default=False,
        description="this peer always pulls blocks from the orderers "
        "(CORE_PEER_GOSSIP_ORGLEADER); for use with useLeaderElection: false",
    )


class PeerStorage(Model):
    ledger: Volume = Field(
        default=Volume(size="20Gi"),
        description="volume of the ledger: blocks, and the state database with LevelDB",
    )
    state_db: Volume = Field(
        default=Volume(size="10Gi"),
        description="volume of CouchDB's data; only with stateDb: couchdb",
    )
    chaincode: Volume = Field(
        default=Volume(size="5Gi"),
        description="volume where the external builder keeps installed chaincode packages",
    )


class PeerResources(Model):
    peer: Resources = Field(
        default=Resources(
            requests=ResourceList(cpu="250m", memory="512Mi"),
            limits=ResourceList(cpu="1", memory="1Gi"),
        ),
        description="CPU and memory of the peer container",
    )
    couchdb: Resources = Field(
        default=Resources(
            requests=ResourceList(cpu="100m", memory="256Mi"),
            limits=ResourceList(cpu="500m", memory="1Gi"),
        ),
        description="CPU and memory of the CouchDB sidecar (stateDb: couchdb)",
    )


class PeerSettings(Model):
    """Everything a peer can set; an organisation's `peerDefaults` uses the same keys."""

    state_db: Literal["leveldb", "couchdb"] = Field(
        default="leveldb",
        description="state database: leveldb, inside the peer, or couchdb, a sidecar "
        "reachable only from the peer (needed for rich queries)",
    )
    storage: PeerStorage = Field(
        default=PeerStorage(), description="volumes of the ledger, CouchDB and chaincode"
    )
    resources: PeerResources = Field(
        default=PeerResources(), description="CPU and memory of the peer and CouchDB containers"
    )
    gossip: Gossip = Field(
        default=Gossip(), description="which peer pulls blocks from the orderers"
    )
    couchdb_credentials: SecretRef | None = Field(
        default=None,
        description="CouchDB admin (keys `username`, `password`); default Secret `<org>-couchdb`",
    )


class Peer(PeerSettings):
    name: Name = Field(
        description="peer name, unique in its organisation; its workload is `<org>-<name>`"
    )
    cluster: Name = Field(description="cluster the peer runs in")
    anchor: bool = Field(
        default=False,
        description="an anchor peer on the organisation's channels: other organisations' "
        "peers find the organisation through it",
    )


class OrdererSettings(Model):
    storage: Volume = Field(
        default=Volume(size="50Gi"),
        description="volume of the orderer's ledger, Raft WAL and snapshots",
    )
    resources: Resources = Field(
        default=Resources(
            requests=ResourceList(cpu="250m", memory="512Mi"),
            limits=ResourceList(cpu="1", memory="1Gi"),
        ),
        description="CPU and memory of the orderer container",
    )


class Orderer(OrdererSettings):
    name: Name = Field(
        description="orderer name, unique in its organisation; its workload is "
        "`<org>-<name>`, and channels list consenters by it"
    )
    cluster: Name = Field(description="cluster the orderer runs in")


class AppIdentity(Model):
    """An application identity the enroller registers and enrolls into Secrets."""

    name: Name = Field(
        description="identity name; enrolled as `<org>-<name>` into the Secrets "
        "`<org>-<name>-msp` and `<org>-<name>-tls`"
    )
    type: Literal["client", "admin"] = Field(
        default="client",
        description="Fabric CA identity type, which is also its role in policies "
        "(`.client`, `.admin`)",
    )
    affiliation: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$",
        examples=["org1.department1"],
        description="Fabric CA affiliation, dot-separated; added to the CA's affiliation tree",
    )
    attributes: dict[AttributeName, str] = Field(
        default_factory=dict, description="put into the certificate (ecert) for ABAC"
    )


class Organization(Model):
    name: Name = Field(
        description="organisation name: channels name it, and it prefixes its workloads and Secrets"
    )
    msp_id: MspId = Field(
        alias="mspID", description="MSP ID of the organisation in channels and policies"
    )
    namespace: Name | None = Field(
        default=None,
        description="namespace of the organisation's nodes in every cluster; defaults to "
        "the organisation name",
    )
    ca: CertificateAuthority = Field(
        description="the organisation's Fabric CA server: an enrollment CA and a TLS CA"
    )
    peer_defaults: PeerSettings = Field(
        default=PeerSettings(),
        description="settings every peer of the organisation takes, key by key, unless "
        "it sets its own",
    )
    peers: list[Peer] = Field(default_factory=list, description="the organisation's peers")
    orderer_defaults: OrdererSettings = Field(
        default=OrdererSettings(),
        description="settings every orderer of the organisation takes, key by key, unless "
        "it sets its own",
    )
    orderers: list[Orderer] = Field(
        default_factory=list, description="the organisation's Raft orderers"
    )
    identities: list[AppIdentity] = Field(
        default_factory=list, description="application identities (clients, admins)"
    )


# --- channels ----------------------------------------------------------------------------


class Capabilities(Model):
    channel: Literal["V2_0", "V3_0"] = Field(
        default="V2_0", description="capability level of the channel group"
    )
    orderer: Literal["V2_0"] = Field(
        default="V2_0", description="capability level of the orderer group"
    )
    application: Literal["V2_0", "V2_5"] = Field(
        default="V2_5", description="capability level of the application group"
    )


class Batch(Model):
    """Fabric's defaults (configtx.yaml of the 2.5 sample config)."""

    timeout: Duration = Field(
        default="2s",
        description="how long the orderer waits to fill a block before cutting it "
        "(BatchTimeout), a Go duration such as 2s",
    )
    max_message_count: int = Field(
        default=500, ge=1, description="most transactions in one block (MaxMessageCount)"
    )
    absolute_max_bytes: ByteSize = Field(
        default="10 MB",
        description="largest block allowed (AbsoluteMaxBytes); a bigger transaction is "
        "rejected. A byte size such as 10 MB",
    )
    preferred_max_bytes: ByteSize = Field(
        default="2 MB",
        description="block size the orderer aims for (PreferredMaxBytes); a bigger "
        "transaction gets a block of its own. A byte size such as 2 MB",
    )


class Raft(Model):
    tick_interval: Duration = Field(
        default="500ms",
        description="time between two Raft ticks (TickInterval), a Go duration such as 500ms",
    )
    election_tick: int = Field(
        default=10,
        ge=1,
        description="ticks a follower waits without a leader's heartbeat before it starts "
        "an election (ElectionTick)",
    )
    heartbeat_tick: int = Field(
        default=1, ge=1, description="ticks between two heartbeats of the leader (HeartbeatTick)"
    )
    max_inflight_blocks: int = Field(
        default=5,
        ge=1,
        description="most append messages in flight to a follower during optimistic "
        "replication (MaxInflightBlocks)",
    )
    snapshot_interval_size: ByteSize = Field(
        default="16 MB",
        description="data written between two Raft snapshots (SnapshotIntervalSize), a "
        "byte size such as 16 MB",
    )


class Policy(Model):
    type: Literal["ImplicitMeta", "Signature"] = Field(
        description="ImplicitMeta: a rule over the sub-groups' policies; Signature: a "
        "signature policy over MSP principals"
    )
    rule: str = Field(
        min_length=1,
        description="the rule, such as `MAJORITY Admins` (ImplicitMeta) or "
        "`OR('Org1MSP.admin')` (Signature)",
    )


PolicySet = dict[str, Policy]


class ChannelPolicies(Model):
    """Overrides; anything not given keeps Fabric's default policy."""

    channel: PolicySet = Field(
        default_factory=dict,
        description="policies of /Channel by name (Readers, Writers, Admins)",
    )
    orderer: PolicySet = Field(
        default_factory=dict,
        description="policies of /Channel/Orderer by name (Readers, Writers, Admins, "
        "BlockValidation)",
    )
    application: PolicySet = Field(
        default_factory=dict,
        description="policies of /Channel/Application by name (Readers, Writers, Admins, "
        "Endorsement, LifecycleEndorsement)",
    )


class EndorsementPolicy(Model):
    """Exactly one of: a signature policy in Fabric's syntax, or a channel policy path."""

    signature: str | None = Field(
        default=None,
        min_length=1,
        examples=["AND('Org1MSP.peer', 'Org2MSP.peer')"],
        description="a signature policy over MSP principals, in Fabric's syntax",
    )
    channel_policy: str | None = Field(
        default=None,
        pattern=r"^/Channel/Application/[A-Za-z0-9_]+$",
        examples=["/Channel/Application/Endorsement"],
        description="path of a policy of the channel's application group",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> EndorsementPolicy:
        if (self.signature is None) == (self.channel_policy is None):
            raise ValueError("give exactly one of `signature` and `channelPolicy`")
        return self


class PrivateCollection(Model):
    """A private data collection, as Fabric's collection config has it."""

    name: CollectionName = Field(
        description="collection name the chaincode's private data calls use"
    )
    policy: str = Field(
        min_length=1,
        description="member organisations: a signature policy over `.member` principals",
        examples=["OR('Org1MSP.member', 'Org2MSP.member')"],
    )
    required_peer_count: int = Field(
        default=0,
        ge=0,
        description="other peers an endorsing peer must hand the private data to before it "
        "endorses",
    )
    max_peer_count: int = Field(
        default=1,
        ge=0,
        description="most other peers an endorsing peer hands the private data to",
    )
    block_to_live: int = Field(
        default=0,
        ge=0,
        description="blocks after which the private data is purged; 0: the data is never purged",
    )
    member_only_read: bool = Field(
        default=True, description="only clients of member organisations may read the data"
    )
    member_only_write: bool = Field(
        default=True, description="only clients of member organisations may write the data"
    )
    endorsement_policy: EndorsementPolicy | None = Field(
        default=None, description="writes to this collection; default: the chaincode's policy"
    )


class Chaincode(Model):
    """Chaincode as a service: the image runs as a server beside each running org's peers."""

    name: ChaincodeName = Field(
        description="chaincode name on the channel; its servers are `<channel>-<name>`"
    )
    version: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.+-]+$",
        description="version of the definition; the package label is `<name>_<version>`",
    )
    sequence: int = Field(ge=1, description="raise it with every change of the definition")
    image: ImageRef = Field(description="image of the chaincode server, used as given")
    organizations: list[Name] | None = Field(
        default=None, description="organisations that run it (install, serve); default: members"
    )
    endorsement_policy: EndorsementPolicy | None = Field(
        default=None, description="default: the channel's /Channel/Application/Endorsement"
    )
    init_required: bool = Field(
        default=False,
        description="the definition requires an Init call before any other transaction",
    )
    collections: list[PrivateCollection] = Field(
        default_factory=list, description="private data collections of the definition"
    )
    replicas: int = Field(default=1, ge=1, le=10, description="chaincode server pods per org")
    resources: Resources = Field(
        default=Resources(
            requests=ResourceList(cpu="50m", memory="64Mi"),
            limits=ResourceList(cpu="500m", memory="256Mi"),
        ),
        description="CPU and memory of each chaincode server pod",
    )


class Channel(Model):
    name: ChannelName = Field(
        description="channel name: lower case, starting with a letter (Fabric's rule)"
    )
    orderer_organizations: list[Name] = Field(
        min_length=1,
        description="organisations whose orderers order the channel; the consenters are "
        "chosen from their orderers",
    )
    consenters: list[Name] | None = Field(
        default=None,
        description="orderer names; default: every orderer of the orderer organisations",
    )
    members: list[Name] = Field(
        min_length=1, description="application organisations whose peers join the channel"
    )
    admins: list[Name] | None = Field(
        default=None, description="organisations whose admins govern; default: all members"
    )
    capabilities: Capabilities = Field(
        default=Capabilities(),
        description="capability levels of the channel, orderer and application groups",
    )
    policies: ChannelPolicies = Field(
        default=ChannelPolicies(), description="policies that replace Fabric's defaults"
    )
    acls: dict[str, str] = Field(
        default_factory=dict,
        description="overrides of Fabric's default ACL table: resource (such as "
        "`peer/Propose`) to policy path",
    )
    batch: Batch = Field(default=Batch(), description="when the orderers cut a block")
    raft: Raft = Field(default=Raft(), description="Raft options of the channel's consenters")
    chaincodes: list[Chaincode] = Field(
        default_factory=list, description="chaincodes defined on the channel, run as services"
    )


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
    pod_security: Literal["restricted", "baseline"] = Field(
        default="restricted",
        description="Pod Security Standard the namespaces enforce, audit and warn at",
    )
    network_policies: bool = Field(
        default=True,
        description="render a default-deny NetworkPolicy and allow lists in every namespace",
    )
    run_as_user: int = Field(
        default=1000, ge=1, description="UID of the pods' containers (CouchDB runs as 5984)"
    )
    run_as_group: int = Field(default=1000, ge=1, description="GID of the pods' containers")
    fs_group: int = Field(
        default=1000, ge=1, description="group that owns the pods' volumes (fsGroup)"
    )
    renew_at: float = Field(
        default=0.8, gt=0, lt=1, description="fraction of a certificate's lifetime before renewal"
    )
    certificate_lifetime: Duration = Field(
        default="8760h",
        description="lifetime of the certificates the CAs issue (signing and TLS); the "
        "renewal CronJobs re-enroll at renewAt of it",
    )


class SecretStore(Model):
    kind: Literal["ClusterSecretStore", "SecretStore"] = Field(
        default="ClusterSecretStore",
        description="kind of the store: a ClusterSecretStore, or a SecretStore in each namespace",
    )
    name: Name = Field(description="name of the store the ExternalSecrets read from")


class Secrets(Model):
    store: SecretStore | None = Field(
        default=None, description="External Secrets store; without it, Secrets must exist"
    )
    refresh_interval: Duration = Field(
        default="1h",
        description="how often the ExternalSecrets read the store again, a Go duration",
    )


class AlertThresholds(Model):
    pvc_usage_warning_percent: int = Field(
        default=80,
        ge=1,
        le=100,
        description="claim usage, in percent, above which FabricVolumeFillingUp fires",
    )
    pvc_usage_critical_percent: int = Field(
        default=90,
        ge=1,
        le=100,
        description="claim usage, in percent, above which FabricVolumeAlmostFull fires",
    )
    certificate_expiry_days: int = Field(
        default=21,
        ge=1,
        description="days before a TLS certificate expires when FabricCertificateExpiring fires",
    )
    height_lag_blocks: int = Field(
        default=10,
        ge=1,
        description="blocks a peer may lag behind its channel before FabricPeerHeightLagging fires",
    )
    leader_changes_per_hour: int = Field(
        default=3,
        ge=1,
        description="Raft leader changes in an hour above which "
        "FabricRaftLeaderChangesTooFrequent fires",
    )


class Blackbox(Model):
    """A blackbox exporter that probes TLS endpoints: certificate expiry and cross-cluster
    reachability without a custom exporter. Its config needs a module like
    `hlfc_tls: {prober: tcp, tcp: {tls: true, tls_config: {insecure_skip_verify: true}}}`."""

    url: str = Field(
        default="blackbox-exporter.monitoring.svc:9115",
        pattern=r"^[a-z0-9.-]+(:[0-9]+)?$",
        description="host:port of the blackbox exporter that runs the Probes",
    )
    module: str = Field(
        default="hlfc_tls",
        min_length=1,
        description="module of the exporter's config the Probes use (a TCP prober with TLS)",
    )


class Monitoring(Model):
    prometheus_operator: bool = Field(
        default=True,
        description="render ServiceMonitors, Probes and PrometheusRules (Prometheus Operator)",
    )
    namespace: Name = Field(
        default="monitoring",
        description="where Prometheus runs; admitted to port 9443, and home of the cross-cluster "
        "Probes",
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
    thresholds: AlertThresholds = Field(
        default=AlertThresholds(), description="when the rendered alerts fire"
    )


class Velero(Model):
    namespace: Name = Field(
        default="velero", description="namespace Velero runs in; its Schedule and Backups go there"
    )
    schedule: Cron = Field(
        default="0 2 * * *",
        description="when the Schedule backs up, a cron expression such as '0 2 * * *'",
    )
    ttl: Duration = Field(
        default="168h", description="how long Velero keeps each backup, a Go duration"
    )
    storage_location: str = Field(
        default="default",
        min_length=1,
        description="Velero BackupStorageLocation the backups are written to",
    )
    snapshot_volumes: bool = Field(
        default=True, description="snapshot the claims' volumes in every backup"
    )
    backup_before_upgrade: bool = Field(
        default=True,
        description="also back up once before a new Fabric version rolls out (a Backup "
        "named after the version, in the first sync wave)",
    )


class Backup(Model):
    velero: Velero | None = Field(
        default=None,
        description="a Velero Schedule per cluster for the network's namespaces; default: "
        "no backups",
    )


class StorageClass(Model):
    name: Name = Field(description="StorageClass name, as clusters and volumes name it")
    provisioner: str = Field(min_length=1, description="provisioner (CSI driver) of the class")
    parameters: dict[str, str] = Field(
        default_factory=dict, description="parameters for the provisioner, passed as given"
    )
    snapshot_driver: str | None = Field(
        default=None, description="CSI driver for the VolumeSnapshotClass; default: provisioner"
    )


class ArgoCD(Model):
    namespace: Name = Field(
        default="argocd",
        description="namespace Argo CD runs in; the AppProject and Applications go there",
    )
    project: Name = Field(
        default="fabric", description="name of the AppProject rendered for the network"
    )
    repo_url: str = Field(
        alias="repoURL",
        pattern=r"^(https://|ssh://|git@)\S+$",
        description="git repository the rendered output is committed to, the only source "
        "the AppProject allows",
    )
    target_revision: str = Field(
        default="main", min_length=1, description="branch, tag or commit Argo CD syncs"
    )
    path: str | None = Field(
        default=None,
        min_length=1,
        description="directory of the repository that holds the output; a cluster's "
        "Application syncs `<path>/<network>/<cluster>`. Default: where `hlfc render -o` "
        "writes, relative to the root of the git repository it writes into (`output` "
        "outside any repository)",
    )


# --- the document ------------------------------------------------------------------------


class NetworkSpec(Model):
    fabric: Fabric = Field(
        default=Fabric(), description="Fabric and Fabric CA versions, images and log level"
    )
    clusters: list[Cluster] = Field(
        min_length=1, description="Kubernetes clusters the network runs on"
    )
    secrets: Secrets = Field(
        default=Secrets(),
        description="where the credentials' Secrets come from: the cluster or an "
        "External Secrets store",
    )
    organizations: list[Organization] = Field(
        min_length=1, description="organisations, each with its CA, peers and orderers"
    )
    channels: list[Channel] = Field(
        default_factory=list, description="channels, with their consenters and chaincodes"
    )
    safety: Safety = Field(
        default=Safety(), description="how much loss the Raft placement must survive"
    )
    security: Security = Field(
        default=Security(),
        description="pod security, NetworkPolicies and certificate lifetimes",
    )
    storage_classes: list[StorageClass] = Field(
        default_factory=list,
        description="StorageClasses and VolumeSnapshotClasses rendered in every cluster",
    )
    monitoring: Monitoring = Field(
        default=Monitoring(), description="Prometheus scraping, probes and alerts"
    )
    backup: Backup = Field(default=Backup(), description="Velero backups")
    argocd: ArgoCD = Field(description="the git repository and Argo CD project of the output")


class Metadata(Model):
    name: Name = Field(
        description="network name: the output goes to output/<name>/, and the rendered "
        "objects carry it as app.kubernetes.io/part-of"
    )
    labels: LabelMap = Field(
        default_factory=dict,
        description="labels of the blueprint itself; nothing is rendered from them",
    )


class Blueprint(Model):
    """A FabricNetwork blueprint (`apiVersion: hlfc/v1alpha1`, `kind: FabricNetwork`)."""

    model_config = ConfigDict(defer_build=False)

    api_version: Literal["hlfc/v1alpha1"] = Field(
        description="version of the blueprint language: hlfc/v1alpha1"
    )
    kind: Literal["FabricNetwork"] = Field(description="kind of document: FabricNetwork")
    metadata: Metadata = Field(description="the network's name and labels")
    spec: NetworkSpec = Field(
        description="the network: clusters, organisations, channels and what they share"
    )
