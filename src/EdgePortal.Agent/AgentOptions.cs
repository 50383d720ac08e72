using Microsoft.Extensions.Options;


namespace EdgePortal.Agent;

/// <summary>The agent's configuration (<c>EdgePortal:Agent</c>).</summary>
public sealed class AgentOptions
{
    public const string Section = "EdgePortal:Agent";

    /// <summary>
    /// Gone: the shared bearer token of earlier versions (one node's copy opened every node). Callers authenticate with client
    /// certificates (<see cref="Tls"/>); an agent still configured with a token refuses to start, so that nobody believes it
    /// protects anything.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>Mutual TLS: this agent's certificate, the CA of its callers, and who may call what.</summary>
    public AgentTlsOptions Tls { get; init; } = new();

    /// <summary>
    /// The agents this one may send images and pages to, by name (the portal's node names): a request names one of them and
    /// never carries a URL. An entry's certificate name is also accepted as a receive-only caller (it may stream images here).
    /// </summary>
    public Dictionary<string, AgentPeerOptions> Peers { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The registries this agent may push checkpoint images to, by name; a request names one of them, never a host.</summary>
    public Dictionary<string, AgentRegistryOptions> Registries { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The largest JSON (or other) request body, bytes (default 1 MiB); a larger one is refused unread (413).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1L << 20;

    /// <summary>
    /// The largest image stream a peer may send (PUT /criu/images/{id}, PUT /images/{name}), bytes (default 8 GiB, the largest
    /// checkpoint the planner is sized for); a larger one is refused unread (413) when it says its length, and cut at the cap otherwise.
    /// </summary>
    public long MaxUploadBytes { get; set; } = 8L << 30;

    /// <summary>Where the kubelet writes checkpoint archives (the hostPath the DaemonSet mounts).</summary>
    public string CheckpointDirectory { get; set; } = "/var/lib/kubelet/checkpoints";

    /// <summary>Where images streamed from peer agents are stored.</summary>
    public string ImageDirectory { get; set; } = "/var/lib/edgeportal/images";

    /// <summary>The rate of a transfer whose request sets none, bits per second; 0 is unlimited.</summary>
    public double DefaultBandwidthBitsPerSecond { get; set; }

    /// <summary>The CRIU binary (4.2.x; tools/criu/install.sh builds it there).</summary>
    public string CriuPath { get; set; } = Criu.CriuDriver.DefaultPath;

    /// <summary>
    /// The host's network namespace (a path such as /run/netns/eplab-h1) where CRIU dumps and restores and where the service
    /// addresses are moved; null or empty is the agent's own. The lab runs one agent per emulated host this way.
    /// </summary>
    public string? NetworkNamespace { get; set; }

    /// <summary>The device service addresses are added to and removed from (POST /net/addresses/*) when a request names none.</summary>
    public string ServiceDevice { get; set; } = "eth0";

    /// <summary>
    /// The address a <c>criu page-server</c> on this host listens on, the one peers reach this host at; null or empty takes the
    /// first (primary) IPv4 address of <see cref="ServiceDevice"/> in the host's namespace.
    /// </summary>
    public string? PageServerAddress { get; set; }

    /// <summary>
    /// How long a <c>criu page-server</c> may wait for and receive its dump (default 10 min). One still running then is killed
    /// and its images deleted: the portal that asked for it crashed or gave up, and nobody would stop it otherwise. It must
    /// exceed the longest Cold dump over a page server the planner may plan.
    /// </summary>
    public TimeSpan PageServerTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The host's Podman, whose containers migrations may name (off by default: bare processes only).</summary>
    public AgentPodmanOptions Podman { get; init; } = new();

    /// <summary>The node's kubelet and container runtime (Kubernetes nodes): checkpoints asked of the local kubelet, base images pulled.</summary>
    public AgentKubeletOptions Kubelet { get; init; } = new();
}

/// <summary>
/// The node's kubelet (<c>EdgePortal:Agent:Kubelet</c>): the agent asks it for checkpoints with its own service account token
/// (<c>nodes/checkpoint</c> create only), and pulls base images through the node's CRI socket with <c>crictl</c>.
/// </summary>
public sealed class AgentKubeletOptions
{
    /// <summary>The kubelet's HTTPS API, e.g. <c>https://127.0.0.1:10250/</c> (the agent runs in the host network); empty: this agent serves no kubelet calls.</summary>
    public string? Url { get; set; }

    /// <summary>The bearer token the kubelet authenticates (TokenReview) and authorises (SubjectAccessReview on nodes/checkpoint); read at every call, so a projected token may rotate.</summary>
    public string TokenFile { get; set; } = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    /// <summary>
    /// The CA bundle (PEM) of the kubelet's serving certificate. kubeadm's kubelets serve a self-signed certificate:
    /// mount <c>/var/lib/kubelet/pki/kubelet.crt</c> and name it here; with serverTLSBootstrap, the cluster CA.
    /// </summary>
    public string? CertificateAuthorityFile { get; set; }

    /// <summary>The name the kubelet's certificate must carry (DNS SAN, IP SAN or CN); empty: the host of <see cref="Url"/>. kubeadm: the node's name.</summary>
    public string? ServerName { get; set; }

    /// <summary>The crictl binary that pulls base images by digest before a restore.</summary>
    public string CrictlPath { get; set; } = "/usr/local/bin/crictl";

    /// <summary>The CRI socket crictl talks to (e.g. <c>unix:///run/containerd/containerd.sock</c>, <c>unix:///var/run/crio/crio.sock</c>); empty: crictl's own configuration.</summary>
    public string? RuntimeEndpoint { get; set; }

    /// <summary>How long a base image pull may take (default 5 min; the portal waits its TransferTimeout, 10 min).</summary>
    public TimeSpan PullTimeout { get; set; } = TimeSpan.FromMinutes(5);

    internal bool Enabled => !string.IsNullOrWhiteSpace(Url);
}

/// <summary>
/// The host's Podman (<c>EdgePortal:Agent:Podman</c>): the agent drives it through the CLI or the API socket, never a Podman
/// inside its own container. Containers move between hosts only in the host's network (<c>--network host</c>).
/// </summary>
public sealed class AgentPodmanOptions
{
    /// <summary>Workload names resolve to Podman containers too (after registered processes).</summary>
    public bool Enabled { get; set; }

    /// <summary>The podman binary (the agent image has the client; with <see cref="Url"/> it only talks to the socket).</summary>
    public string Executable { get; set; } = "/usr/bin/podman";

    /// <summary>
    /// The host's Podman API socket, <c>unix:///run/podman/podman.sock</c> (the rootful podman.socket, mounted into the agent's
    /// container): the agent calls libpod's REST API on it, and needs no Podman of its own. Empty: the local CLI
    /// (<see cref="Executable"/>), in the host's network namespace.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>A containers.conf to use instead of the machine's (CONTAINERS_CONF; tools/podman/containers.conf: runc, lowered ulimits).</summary>
    public string? ConfigFile { get; set; }

    /// <summary>Podman's storage root (<c>--root</c>), local CLI only: the lab gives each emulated host one of its own.</summary>
    public string? Root { get; set; }

    /// <summary>Podman's run root (<c>--runroot</c>), local CLI only.</summary>
    public string? RunRoot { get; set; }

    /// <summary>
    /// Podman's libpod state folder (<c>--tmpdir</c>), local CLI only: a storage beside the machine's needs one of its own, or
    /// each takes the other's state for a reboot and refreshes its containers.
    /// </summary>
    public string? TmpDir { get; set; }

    /// <summary>The checkpoint archive's compression: none (default: the link's rate is reserved, compressing adds CPU time to the downtime), gzip or zstd.</summary>
    public string Compression { get; set; } = "none";

    internal bool Remote => !string.IsNullOrWhiteSpace(Url);
}

/// <summary>The agent's TLS identity and its callers (<c>EdgePortal:Agent:Tls</c>), PEM files all.</summary>
public sealed class AgentTlsOptions
{
    /// <summary>This agent's certificate (extended key usages serverAuth, and clientAuth for streaming to peers), named as the portal expects this node.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Its private key.</summary>
    public string? KeyFile { get; set; }

    /// <summary>The CA bundle that issues the callers' client certificates (the portal's and the peer agents').</summary>
    public string? ClientAuthorityFile { get; set; }

    /// <summary>The CA bundle that issues the peer agents' server certificates; empty: <see cref="ClientAuthorityFile"/>.</summary>
    public string? PeerAuthorityFile { get; set; }

    /// <summary>The client certificate names (DNS SAN or CN) that may call every endpoint: the portal's.</summary>
    public List<string> PortalClientNames { get; init; } = [];

    /// <summary>
    /// Development only: serve plain HTTP without any authentication. Refused in every other environment, and when the
    /// certificate files are set.
    /// </summary>
    public bool Disabled { get; set; }

    internal bool IsSet => !string.IsNullOrWhiteSpace(CertificateFile) && !string.IsNullOrWhiteSpace(KeyFile) && !string.IsNullOrWhiteSpace(ClientAuthorityFile);

    internal string PeerAuthority => string.IsNullOrWhiteSpace(PeerAuthorityFile) ? ClientAuthorityFile! : PeerAuthorityFile;
}

/// <summary>A peer agent (<c>EdgePortal:Agent:Peers:&lt;name&gt;</c>).</summary>
public sealed class AgentPeerOptions
{
    /// <summary>Its base URL, https, e.g. <c>https://10.0.0.12:8471/</c>.</summary>
    public string? Url { get; set; }

    /// <summary>The name its certificate must carry (DNS SAN or CN); empty: the peer's name.</summary>
    public string? CertificateName { get; set; }

    /// <summary>
    /// The address its <c>criu page-server</c> listens on, the only one a dump may send pages to for it; empty: the host of
    /// <see cref="Url"/> when it is an IP address.
    /// </summary>
    public string? PageServerAddress { get; set; }

    internal string NameOf(string peer) => string.IsNullOrWhiteSpace(CertificateName) ? peer : CertificateName;

    internal string? PageServer =>
        !string.IsNullOrWhiteSpace(PageServerAddress) ? PageServerAddress
        : Uri.TryCreate(Url, UriKind.Absolute, out var u) && System.Net.IPAddress.TryParse(u.Host.Trim('[', ']'), out var ip) ? ip.ToString() : null;
}

/// <summary>A registry checkpoint images may be pushed to (<c>EdgePortal:Agent:Registries:&lt;name&gt;</c>).</summary>
public sealed class AgentRegistryOptions
{
    /// <summary><c>host[:port]</c>, no scheme.</summary>
    public string? Host { get; set; }

    /// <summary>Plain HTTP (a registry inside the edge network without TLS); default HTTPS with the system's trust store.</summary>
    public bool PlainHttp { get; set; }

    /// <summary>The CA bundle (PEM) of the registry's certificate; empty: the system's trust store.</summary>
    public string? CertificateAuthorityFile { get; set; }

    /// <summary>The user of Basic authentication, or of the token service's (with <see cref="PasswordFile"/>).</summary>
    public string? Username { get; set; }

    /// <summary>A file holding the password (a Secret's key mounted as a file), read at each push.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>A file holding a bearer token sent as it is (a registry that hands out long-lived tokens), read at each push.</summary>
    public string? TokenFile { get; set; }

    /// <summary>
    /// The registry's token service (<c>https://auth.example/token</c>) when it is not on the registry's own host: the only
    /// other URL the agent sends the credentials to when the registry answers 401 with a Bearer challenge.
    /// </summary>
    public string? TokenRealm { get; set; }
}

/// <summary>Every rule the agent's configuration must meet; a failure names the key. Runs at start: a bad configuration never serves.</summary>
public sealed class AgentOptionsValidator(IHostEnvironment? environment = null, IConfiguration? configuration = null) : IValidateOptions<AgentOptions>
{
    /// <summary>Tokens and passwords from examples and defaults, refused wherever a secret is expected.</summary>
    internal static readonly string[] Placeholders = ["change-me", "changeme", "change-me-please", "replace-me", "secret", "password", "token", "edgeportal"];

    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var key = AgentOptions.Section;
        if (!string.IsNullOrEmpty(options.Token))
            failures.Add(Placeholders.Any(p => options.Token.Contains(p, StringComparison.OrdinalIgnoreCase))
                ? $"{key}:Token is set to a known placeholder, and the shared token is gone anyway: remove {key}:Token; callers authenticate with client certificates ({key}:Tls)."
                : $"{key}:Token is no longer used: remove it; the portal and the peer agents authenticate with client certificates ({key}:Tls).");
        ValidateTls(options, failures);
        foreach (var (peer, p) in options.Peers)
        {
            if (!(Uri.TryCreate(p?.Url, UriKind.Absolute, out var u) && (u.Scheme == "https" || (options.Tls.Disabled && u.Scheme == "http")) && string.IsNullOrEmpty(u.Query)))
                failures.Add($"{key}:Peers:{peer}:Url must be the https base URL of that agent, e.g. https://10.0.0.12:8471/, got '{p?.Url}'.");
            if (p is { PageServerAddress.Length: > 0 } && !System.Net.IPAddress.TryParse(p.PageServerAddress, out _))
                failures.Add($"{key}:Peers:{peer}:PageServerAddress must be an IP address, got '{p.PageServerAddress}'.");
        }
        foreach (var (registry, r) in options.Registries)
            if (string.IsNullOrWhiteSpace(r?.Host) || r.Host.Contains('/', StringComparison.Ordinal) || r.Host.Contains(' ', StringComparison.Ordinal)
                || !Uri.TryCreate($"https://{r.Host}/", UriKind.Absolute, out var ru) || !string.Equals(ru.Authority, r.Host, StringComparison.OrdinalIgnoreCase))
                failures.Add($"{key}:Registries:{registry}:Host must be a registry host[:port] without a scheme or path, e.g. registry.edge.local:5000, got '{r?.Host}'.");
            else
            {
                foreach (var (setting, path) in new[] { ("CertificateAuthorityFile", r.CertificateAuthorityFile), ("PasswordFile", r.PasswordFile), ("TokenFile", r.TokenFile) })
                    if (!string.IsNullOrWhiteSpace(path) && !File.Exists(path))
                        failures.Add($"{key}:Registries:{registry}:{setting} names a file that does not exist: {path}.");
                if (string.IsNullOrWhiteSpace(r.Username) != string.IsNullOrWhiteSpace(r.PasswordFile))
                    failures.Add($"{key}:Registries:{registry}: set both Username and PasswordFile, or neither.");
                if (r.PlainHttp && (!string.IsNullOrWhiteSpace(r.Username) || !string.IsNullOrWhiteSpace(r.TokenFile)))
                    failures.Add($"{key}:Registries:{registry}: credentials over plain HTTP would travel in the clear: remove PlainHttp (give the registry TLS) or the credentials.");
                if (!string.IsNullOrWhiteSpace(r.TokenRealm) && !(Uri.TryCreate(r.TokenRealm, UriKind.Absolute, out var realm) && realm.Scheme == "https"))
                    failures.Add($"{key}:Registries:{registry}:TokenRealm must be the https URL of the registry's token service, got '{r.TokenRealm}'.");
            }
        if (options.MaxRequestBodyBytes < 1024)
            failures.Add($"{key}:MaxRequestBodyBytes must be at least 1024, got {options.MaxRequestBodyBytes}.");
        if (options.MaxUploadBytes < options.MaxRequestBodyBytes)
            failures.Add($"{key}:MaxUploadBytes must be at least {key}:MaxRequestBodyBytes, got {options.MaxUploadBytes}.");
        if (string.IsNullOrWhiteSpace(options.CheckpointDirectory) || !Path.IsPathRooted(options.CheckpointDirectory))
            failures.Add($"{AgentOptions.Section}:CheckpointDirectory must be an absolute path, got '{options.CheckpointDirectory}'.");
        if (string.IsNullOrWhiteSpace(options.ImageDirectory) || !Path.IsPathRooted(options.ImageDirectory))
            failures.Add($"{AgentOptions.Section}:ImageDirectory must be an absolute path, got '{options.ImageDirectory}'.");
        if (!double.IsFinite(options.DefaultBandwidthBitsPerSecond) || options.DefaultBandwidthBitsPerSecond < 0)
            failures.Add($"{AgentOptions.Section}:DefaultBandwidthBitsPerSecond must be ≥ 0 (0 is unlimited), got {options.DefaultBandwidthBitsPerSecond}.");
        if (string.IsNullOrWhiteSpace(options.CriuPath) || !Path.IsPathRooted(options.CriuPath))
            failures.Add($"{AgentOptions.Section}:CriuPath must be the absolute path of the criu binary, got '{options.CriuPath}'.");
        if (!string.IsNullOrEmpty(options.NetworkNamespace) && !Path.IsPathRooted(options.NetworkNamespace))
            failures.Add($"{AgentOptions.Section}:NetworkNamespace must be the absolute path of a network namespace (e.g. /run/netns/edge1), got '{options.NetworkNamespace}'.");
        if (!string.IsNullOrEmpty(options.PageServerAddress) && !System.Net.IPAddress.TryParse(options.PageServerAddress, out _))
            failures.Add($"{AgentOptions.Section}:PageServerAddress must be an IP address of this host (no prefix), got '{options.PageServerAddress}'.");
        if (options.PageServerTimeout <= TimeSpan.Zero)
            failures.Add($"{AgentOptions.Section}:PageServerTimeout must be positive (e.g. 00:10:00), got {options.PageServerTimeout}.");
        var podman = options.Podman;
        if (podman.Enabled)
        {
            if (string.IsNullOrWhiteSpace(podman.Executable) || !Path.IsPathRooted(podman.Executable))
                failures.Add($"{key}:Podman:Executable must be the absolute path of the podman binary, got '{podman.Executable}'.");
            if (podman.Remote && !podman.Url!.StartsWith("unix:///", StringComparison.Ordinal))
                failures.Add($"{key}:Podman:Url must be the host's Podman API socket, unix:///run/podman/podman.sock (a Unix socket: the API has no authentication of its own), got '{podman.Url}'.");
            if (podman.Remote && (!string.IsNullOrWhiteSpace(podman.Root) || !string.IsNullOrWhiteSpace(podman.RunRoot) || !string.IsNullOrWhiteSpace(podman.TmpDir)))
                failures.Add($"{key}:Podman:Root, RunRoot and TmpDir are for the local CLI: the Podman service behind {key}:Podman:Url has its own storage.");
            foreach (var (setting, path) in new[] { ("ConfigFile", podman.ConfigFile), ("Root", podman.Root), ("RunRoot", podman.RunRoot), ("TmpDir", podman.TmpDir) })
                if (!string.IsNullOrWhiteSpace(path) && !Path.IsPathRooted(path))
                    failures.Add($"{key}:Podman:{setting} must be an absolute path, got '{path}'.");
            if (podman.Compression is not ("none" or "gzip" or "zstd"))
                failures.Add($"{key}:Podman:Compression must be none, gzip or zstd, got '{podman.Compression}'.");
        }
        var kubelet = options.Kubelet;
        if (kubelet.Enabled)
        {
            if (!Uri.TryCreate(kubelet.Url, UriKind.Absolute, out var ku) || ku.Scheme != "https" || !string.IsNullOrEmpty(ku.Query))
                failures.Add($"{key}:Kubelet:Url must be the kubelet's https base URL, e.g. https://127.0.0.1:10250/, got '{kubelet.Url}'.");
            if (string.IsNullOrWhiteSpace(kubelet.TokenFile) || !Path.IsPathRooted(kubelet.TokenFile))
                failures.Add($"{key}:Kubelet:TokenFile must be the absolute path of the agent's service account token, got '{kubelet.TokenFile}'.");
            if (string.IsNullOrWhiteSpace(kubelet.CertificateAuthorityFile) || !File.Exists(kubelet.CertificateAuthorityFile))
                failures.Add($"{key}:Kubelet:CertificateAuthorityFile must name the PEM bundle of the kubelet's serving certificate (kubeadm: /var/lib/kubelet/pki/kubelet.crt), got '{kubelet.CertificateAuthorityFile}': the kubelet's certificate is always verified.");
        }
        if (string.IsNullOrWhiteSpace(kubelet.CrictlPath) || !Path.IsPathRooted(kubelet.CrictlPath))
            failures.Add($"{key}:Kubelet:CrictlPath must be the absolute path of crictl, got '{kubelet.CrictlPath}'.");
        if (kubelet.PullTimeout <= TimeSpan.Zero)
            failures.Add($"{key}:Kubelet:PullTimeout must be positive, got {kubelet.PullTimeout}.");
        if (string.IsNullOrWhiteSpace(options.ServiceDevice))
            failures.Add($"{AgentOptions.Section}:ServiceDevice must name a network device, e.g. eth0.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void ValidateTls(AgentOptions options, List<string> failures)
    {
        var key = $"{AgentOptions.Section}:Tls";
        var tls = options.Tls;
        var development = environment?.IsDevelopment() == true;
        var urls = (configuration?["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (tls.Disabled)
        {
            if (!development)
                failures.Add($"{key}:Disabled is for Development only: in {environment?.EnvironmentName ?? "this environment"} the agent serves mutual TLS (set {key}:CertificateFile, KeyFile, ClientAuthorityFile).");
            if (tls.IsSet)
                failures.Add($"{key}:Disabled contradicts the certificate files set in {key}: remove one or the other.");
            return;
        }
        if (!tls.IsSet)
        {
            failures.Add($"{key}:CertificateFile, {key}:KeyFile and {key}:ClientAuthorityFile must name this agent's certificate, its key and the CA of its callers (PEM; tools/tls/make-certs.sh makes them). The agent serves mutual TLS only.");
            return;
        }
        foreach (var (setting, file) in new[] { ("CertificateFile", tls.CertificateFile!), ("KeyFile", tls.KeyFile!), ("ClientAuthorityFile", tls.ClientAuthorityFile!), ("PeerAuthorityFile", tls.PeerAuthority) })
            if (!File.Exists(file))
                failures.Add($"{key}:{setting} names a file that does not exist: {file}.");
        if (tls.PortalClientNames.Count == 0 || tls.PortalClientNames.Any(string.IsNullOrWhiteSpace))
            failures.Add($"{key}:PortalClientNames must list the name(s) of the portal's client certificate, e.g. edgeportal-portal.");
        if (urls.Length == 0)
            failures.Add("urls must be set to the agent's https:// address(es), e.g. https://0.0.0.0:8471 (the agent serves HTTPS only).");
        var plain = urls.Where(u => !u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)).ToList();
        if (plain.Count > 0)
            failures.Add($"urls must all be https:// (the agent serves HTTPS only), got {string.Join(", ", plain)}.");
    }
}
