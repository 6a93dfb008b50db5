public import Foundation

/// What a runtime needs to make a pod's sandbox: the namespaces (or directory) its containers share.
public struct PodSandboxConfig: Sendable, Hashable {
    public var uid: String
    public var name: String
    public var namespace: String
    /// The pod's hostname (`spec.hostname` or its name, cut to 63 characters), set in its UTS namespace.
    public var hostname: String
    /// `spec.hostNetwork`: the containers use the node's network (and UTS) namespace.
    public var hostNetwork: Bool
    /// `spec.shareProcessNamespace`: the containers share one PID namespace.
    public var shareProcessNamespace: Bool
    /// The pod's `/etc/resolv.conf` as the kubelet formed it from `dnsPolicy` and `dnsConfig`; nil or empty:
    /// the node's `/etc/resolv.conf` as it is.
    public var dns: DNSConfig?

    public init(uid: String, name: String, namespace: String, hostname: String, hostNetwork: Bool = false,
                shareProcessNamespace: Bool = false, dns: DNSConfig? = nil) {
        self.uid = uid
        self.name = name
        self.namespace = namespace
        self.hostname = hostname
        self.hostNetwork = hostNetwork
        self.shareProcessNamespace = shareProcessNamespace
        self.dns = dns
    }
}

/// A sandbox the runtime made: the pod's directory and its IP (nil: the node's, as with host networking).
public struct PodSandbox: Sendable, Hashable {
    public var directory: URL
    public var ip: String?

    public init(directory: URL, ip: String? = nil) {
        self.directory = directory
        self.ip = ip
    }
}

/// A host path made visible inside a container (a volume, or one file or directory of it with `subPath`).
public struct ContainerMount: Sendable, Hashable {
    public var hostPath: String
    public var containerPath: String
    public var readOnly: Bool

    public init(hostPath: String, containerPath: String, readOnly: Bool = false) {
        self.hostPath = hostPath
        self.containerPath = containerPath
        self.readOnly = readOnly
    }
}

/// Cgroup limits from a container's `resources` (nil: unlimited), already converted to the kernel's units.
public struct ContainerResources: Sendable, Hashable {
    public var memoryLimitBytes: Int64?
    /// `cpu.shares` from the CPU request (2 for none, as the kubelet: milliCPU × 1024 / 1000).
    public var cpuShares: UInt64?
    /// CFS quota per `cpuPeriodMicros` from the CPU limit.
    public var cpuQuotaMicros: Int64?
    public var cpuPeriodMicros: UInt64
    public var pidsLimit: Int64?

    public init(memoryLimitBytes: Int64? = nil, cpuShares: UInt64? = nil, cpuQuotaMicros: Int64? = nil,
                cpuPeriodMicros: UInt64 = 100_000, pidsLimit: Int64? = nil) {
        self.memoryLimitBytes = memoryLimitBytes
        self.cpuShares = cpuShares
        self.cpuQuotaMicros = cpuQuotaMicros
        self.cpuPeriodMicros = cpuPeriodMicros
        self.pidsLimit = pidsLimit
    }
}

/// What a runtime needs to start one container of a pod.
public struct ContainerLaunch: Sendable {
    public var podUID: String
    /// The container's name in the pod spec.
    public var name: String
    /// How many times this container was started before; names the log file.
    public var restartCount: Int
    /// The program and its arguments, already resolved from the spec's command/args and the image.
    public var argv: [String]
    public var environment: [String: String]
    /// The working directory inside the container; nil: the image's, else `/` (the pod's directory for `process`).
    public var workingDirectory: String?
    /// The unpacked layers of the image, bottom to top.
    public var imageLayers: [URL]
    /// Volumes, in the order of `volumeMounts`.
    public var mounts: [ContainerMount]
    public var resources: ContainerResources
    /// `stdin: true`: the container's stdin stays open for `attach`; `tty`: it runs on a terminal.
    public var stdin: Bool
    public var tty: Bool
    /// `stdinOnce: true`: the container's stdin closes when the first attached client's does.
    public var stdinOnce = false

    public init(podUID: String, name: String, restartCount: Int, argv: [String], environment: [String: String] = [:],
                workingDirectory: String? = nil, imageLayers: [URL] = [], mounts: [ContainerMount] = [],
                resources: ContainerResources = ContainerResources(), stdin: Bool = false, tty: Bool = false) {
        self.podUID = podUID
        self.name = name
        self.restartCount = restartCount
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.imageLayers = imageLayers
        self.mounts = mounts
        self.resources = resources
        self.stdin = stdin
        self.tty = tty
    }
}

/// A container the runtime started: its ID (`process://<pid>`, `runc://<id>`) and when it started.
public struct ContainerHandle: Sendable, Hashable {
    public var id: String
    public var podUID: String
    public var name: String
    public var startedAt: Date

    public init(id: String, podUID: String, name: String, startedAt: Date) {
        self.id = id
        self.podUID = podUID
        self.name = name
        self.startedAt = startedAt
    }
}

/// A container that ended: its exit code (128+signal when killed), when, and why when the runtime knows
/// better than the code (`OOMKilled`).
public struct ContainerExit: Sendable, Hashable {
    public var containerID: String
    public var podUID: String
    public var exitCode: Int32
    public var finishedAt: Date
    public var reason: String?

    public init(containerID: String, podUID: String, exitCode: Int32, finishedAt: Date, reason: String? = nil) {
        self.containerID = containerID
        self.podUID = podUID
        self.exitCode = exitCode
        self.finishedAt = finishedAt
        self.reason = reason
    }
}

/// A runtime error the kubelet reports as a container's waiting reason (e.g. `RunContainerError`).
public struct ContainerRuntimeError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var message: String
    public var description: String { "\(reason): \(message)" }

    public init(reason: String, message: String) {
        self.reason = reason
        self.message = message
    }
}

/// A command to run in a running container (`kubectl exec`, exec probes).
public struct ExecCommand: Sendable, Hashable {
    public var argv: [String]
    /// Give the command a stdin pipe (else it reads /dev/null).
    public var stdin: Bool
    /// Run it on a terminal: stdout carries the terminal's output, and there is no separate stderr.
    public var tty: Bool

    public init(argv: [String], stdin: Bool = false, tty: Bool = false) {
        self.argv = argv
        self.stdin = stdin
        self.tty = tty
    }
}

/// A command running in a container. The caller owns the descriptors (closes them when done) and
/// awaits `exitCode`.
public protocol ExecProcess: Sendable {
    /// Write end of the command's stdin (nil unless asked for); closing it is the command's EOF.
    var stdin: Int32? { get }
    /// Read end of its stdout (with a tty: the terminal's output).
    var stdout: Int32 { get }
    /// Read end of its stderr (nil with a tty).
    var stderr: Int32? { get }
    /// The terminal's size changed (ignored without a tty).
    func resize(columns: UInt16, rows: UInt16)
    /// Waits for the command to end: its exit code (128+signal when killed).
    func exitCode() async -> Int32
    /// Ends it at once (SIGKILL), e.g. when a probe times out or the client went away.
    func kill()
}

/// The kubelet's view of a container runtime (CRI's shape, cut down): make pod sandboxes, start, signal,
/// exec into and forget their containers. Exits are delivered through `exits`, once per started container.
/// Container output goes to `logFile(…)` in the CRI log format (`<RFC3339Nano> stdout|stderr F|P <text>`).
public protocol ContainerRuntime: Sendable {
    /// `runtime://version` as the Node reports it in `nodeInfo.containerRuntimeVersion`.
    var version: String { get }
    /// Every container exit, in the order the runtime saw them.
    var exits: AsyncStream<ContainerExit> { get }
    /// Creates the pod's sandbox if needed (idempotent) and returns it.
    func preparePod(_ config: PodSandboxConfig) throws -> PodSandbox
    /// Starts a container in its pod's sandbox; throws `ContainerRuntimeError` when it cannot be started.
    func start(_ launch: ContainerLaunch) throws -> ContainerHandle
    /// Asks a container to stop (SIGTERM), or forces it (SIGKILL). A container already gone is ignored.
    func stop(containerID: String, force: Bool)
    /// Runs a command in a running container; throws `ContainerRuntimeError` when it is not running.
    func exec(containerID: String, _ command: ExecCommand) throws -> any ExecProcess
    /// The CRI-format log of a container's `restartCount`th run.
    func logFile(podUID: String, container: String, restartCount: Int) -> URL
    /// Removes the pod's sandbox (namespaces, addresses, directory) once none of its containers runs.
    func removePod(uid: String)
    /// Kills what an earlier run of this runtime left behind (containers it can no longer watch).
    func cleanUpLeftovers()
    /// Stops every container (SIGTERM, SIGKILL after `grace`): the kubelet is shutting down.
    func shutdown(grace: Duration) async
    /// The path of the pod's network namespace (`/proc/<pid>/ns/net`), where port-forward connects; nil: the
    /// pod uses the node's network.
    func networkNamespace(podUID: String) -> String?
    /// A descriptor of the running container's stdin (`stdin: true`) for one attached client, which closes it
    /// when done; nil when the container keeps no stdin open.
    func attachStdin(containerID: String) -> Int32?
    /// An attached client's stdin ended: with `stdinOnce`, the container's stdin is closed (it reads EOF).
    func detachStdin(containerID: String)
    /// An attached client's terminal changed size (`tty: true` containers).
    func resizeTerminal(containerID: String, columns: UInt16, rows: UInt16)
    /// Whether `resources.limits` (CPU, memory) are enforced; when not, the kubelet says so in the node's
    /// status and in an event on each pod that sets them, rather than ignoring them silently.
    var enforcesLimits: Bool { get }
}

extension ContainerRuntime {
    /// Runtimes without network namespaces run every pod on the node's network.
    public func networkNamespace(podUID: String) -> String? { nil }
    /// Runtimes that keep no stdin open have none to attach to.
    public func attachStdin(containerID: String) -> Int32? { nil }
    public func detachStdin(containerID: String) {}
    public func resizeTerminal(containerID: String, columns: UInt16, rows: UInt16) {}
    public var enforcesLimits: Bool { true }
}
