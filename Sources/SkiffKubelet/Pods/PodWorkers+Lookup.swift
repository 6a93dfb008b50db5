import Foundation
import SkiffAPI

/// One container of a pod on this node, as the streaming and log endpoints need it.
public struct ContainerTarget: Sendable, Equatable {
    public var podUID: String
    public var podName: String
    public var namespace: String
    public var container: String
    /// The running run's container ID (nil: not running now).
    public var runningID: String?
    /// The run whose log `kubectl logs` shows (nil: it never started).
    public var currentRun: Int?
    /// The run before it, for `--previous` (nil: there is none).
    public var previousRun: Int?
    /// The waiting reason while the container never started (`ContainerCreating`, `ErrImagePull` …).
    public var waitingReason: String?

    public init(podUID: String, podName: String, namespace: String, container: String, runningID: String? = nil,
                currentRun: Int? = nil, previousRun: Int? = nil, waitingReason: String? = nil) {
        self.podUID = podUID
        self.podName = podName
        self.namespace = namespace
        self.container = container
        self.runningID = runningID
        self.currentRun = currentRun
        self.previousRun = previousRun
        self.waitingReason = waitingReason
    }
}

/// Why a container could not be found: the pod is not on this node, or has no such container.
public enum ContainerLookupError: Error, Sendable, Equatable {
    case podNotFound(namespace: String, pod: String)
    case containerNotFound(container: String, pod: String)
}

/// Finds a pod's container on this node (the kubelet's pod workers; a fixed table in tests).
public protocol ContainerLocator: Sendable {
    func locate(namespace: String, pod: String, container: String) async throws(ContainerLookupError) -> ContainerTarget
    /// The pod itself, whatever its containers (port-forward reaches the pod's network, not a container).
    func locatePod(namespace: String, pod: String) async throws(ContainerLookupError) -> ContainerTarget
}

extension PodWorkers: ContainerLocator {
    /// The container `container` of pod `namespace/pod` (an empty name picks the pod's only container).
    func locate(namespace: String, pod: String, container: String) throws(ContainerLookupError) -> ContainerTarget {
        let (uid, worker) = try newestWorker(namespace: namespace, pod: pod)
        let all = worker.machine.initContainers + worker.machine.containers
        var name = container
        if name.isEmpty, worker.machine.containers.count == 1 { name = worker.machine.containers[0].name }
        guard let found = all.first(where: { $0.name == name }) else {
            throw .containerNotFound(container: name, pod: pod)
        }
        var target = ContainerTarget(podUID: uid, podName: pod, namespace: namespace, container: name,
                                     runningID: found.runningID)
        if found.everStarted { target.currentRun = found.restartCount }
        if found.lastTerminated != nil {
            // While backing off, the last run is both the current log and the previous one (upstream's lastState).
            if case .waiting = found.state { target.previousRun = found.restartCount } else {
                target.previousRun = found.restartCount > 0 ? found.restartCount - 1 : nil
            }
        }
        if case .waiting(let reason, _) = found.state { target.waitingReason = reason }
        return target
    }

    func locatePod(namespace: String, pod: String) throws(ContainerLookupError) -> ContainerTarget {
        let (uid, _) = try newestWorker(namespace: namespace, pod: pod)
        return ContainerTarget(podUID: uid, podName: pod, namespace: namespace, container: "")
    }

    /// A pod recreated under the same name: the newest worker is the one the API server knows.
    private func newestWorker(namespace: String, pod: String) throws(ContainerLookupError) -> (String, Worker) {
        let candidates = workers.filter { !$0.value.gone && $0.value.pod.objectNamespace == namespace && $0.value.pod.objectName == pod }
        guard let (uid, worker) = candidates.max(by: { $0.value.startTime < $1.value.startTime }) else {
            throw .podNotFound(namespace: namespace, pod: pod)
        }
        return (uid, worker)
    }
}
