public import Foundation

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
    /// The working directory (absolute on the host, or relative to the pod's directory); nil: the pod's directory.
    public var workingDirectory: String?
    /// The unpacked layers of the image, bottom to top, where the program is looked up first.
    public var imageLayers: [URL]

    public init(podUID: String, name: String, restartCount: Int, argv: [String], environment: [String: String] = [:],
                workingDirectory: String? = nil, imageLayers: [URL] = []) {
        self.podUID = podUID
        self.name = name
        self.restartCount = restartCount
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.imageLayers = imageLayers
    }
}

/// A container the runtime started: its ID (`process://<pid>` and so on) and when it started.
public struct ContainerHandle: Sendable, Hashable {
    public var id: String
    public var podUID: String
    public var name: String
    public var startedAt: Date
}

/// A container that ended: its exit code (128+signal when killed) and when.
public struct ContainerExit: Sendable, Hashable {
    public var containerID: String
    public var podUID: String
    public var exitCode: Int32
    public var finishedAt: Date
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

/// The kubelet's view of a container runtime (CRI's shape, cut down): start, signal and forget the
/// containers of pod sandboxes. Exits are delivered through `exits`, once per started container.
public protocol ContainerRuntime: Sendable {
    /// `runtime://version` as the Node reports it in `nodeInfo.containerRuntimeVersion`.
    var version: String { get }
    /// Every container exit, in the order the runtime saw them.
    var exits: AsyncStream<ContainerExit> { get }
    /// Creates the pod's sandbox (its directory) if needed.
    func preparePod(uid: String) throws -> URL
    /// Starts a container; throws `ContainerRuntimeError` when it cannot be started.
    func start(_ launch: ContainerLaunch) throws -> ContainerHandle
    /// Asks a container to stop (SIGTERM), or forces it (SIGKILL). A container already gone is ignored.
    func stop(containerID: String, force: Bool)
    /// Removes the pod's sandbox once none of its containers runs.
    func removePod(uid: String)
    /// Kills what an earlier run of this runtime left behind (containers it can no longer watch).
    func cleanUpLeftovers()
}
