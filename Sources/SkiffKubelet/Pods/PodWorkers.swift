import Foundation
import Logging
import SkiffAPI
import SkiffImages

/// The pod workers of one node: a `PodMachine` per pod, fed with pod updates and container exits, whose
/// actions this actor carries out against the runtime. Status writes and deletions are left to the
/// kubelet's writer (`pendingWrite`), so the actor never waits on the API server.
actor PodWorkers {
    struct Worker {
        var pod: JSONValue
        var machine: PodMachine
        var startTime: Date
        var timer: Task<Void, Never>?
        var timerAt: Date?
        /// The status last written (or read from the API): nothing is written while it is unchanged.
        var written: JSONValue?
        var wantsDelete = false
        /// The object is gone from the API: drop the worker once its containers are.
        var gone = false
        /// Found finished: it is only watched for its deletion.
        var dormant = false
        /// The sandbox the runtime made for the pod, once its first container is started.
        var sandbox: PodSandbox?
    }

    let runtime: any ContainerRuntime
    let images: ImageStore?
    let hostIP: String
    let logger: Logger
    /// Called with a pod's uid when it has something to write.
    let notify: @Sendable (String) -> Void
    /// Records an event about a pod (given as JSON).
    let record: @Sendable (_ pod: JSONValue, _ event: PodMachine.Event) -> Void
    var workers: [String: Worker] = [:]
    var byContainer: [String: String] = [:]

    init(runtime: any ContainerRuntime, images: ImageStore?, hostIP: String, logger: Logger,
         notify: @escaping @Sendable (String) -> Void,
         record: @escaping @Sendable (_ pod: JSONValue, _ event: PodMachine.Event) -> Void = { _, _ in }) {
        self.record = record
        self.runtime = runtime
        self.images = images
        self.hostIP = hostIP
        self.logger = logger
        self.notify = notify
    }

    // MARK: Events

    func update(_ pod: JSONValue) {
        guard let uid = pod["metadata"]?["uid"]?.stringValue, !uid.isEmpty else { return }
        if workers[uid] == nil {
            let phase = pod["status"]?["phase"]?.stringValue ?? ""
            let spec = pod["spec"]
            let names = { (key: String) in (spec?[key]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue } }
            let policy = PodMachine.RestartPolicy(rawValue: spec?["restartPolicy"]?.stringValue ?? "") ?? .always
            var machine = PodMachine(podDescription: "\(pod.objectName)_\(pod.objectNamespace)(\(uid))",
                                     initContainers: names("initContainers"), containers: names("containers"),
                                     restartPolicy: policy)
            // Finished before this kubelet started: nothing runs again; only a deletion is left to finish.
            let dormant = phase == "Succeeded" || phase == "Failed"
            if dormant { machine.terminate(grace: .zero, now: Date()) }
            workers[uid] = Worker(pod: pod, machine: machine, startTime: Date(), written: dormant ? pod["status"] : nil,
                                  dormant: dormant)
        }
        workers[uid]?.pod = pod
        if workers[uid]?.dormant == true, pod["metadata"]?["deletionTimestamp"] == nil { return }
        if pod["metadata"]?["deletionTimestamp"] != nil, workers[uid]?.machine.isTerminating == false {
            let grace = pod["metadata"]?["deletionGracePeriodSeconds"]?.intValue
                ?? pod["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 30
            workers[uid]?.machine.terminate(grace: .seconds(grace), now: Date())
        }
        sync(uid)
    }

    func removed(_ pod: JSONValue) {
        guard let uid = pod["metadata"]?["uid"]?.stringValue, workers[uid] != nil else { return }
        workers[uid]?.gone = true
        let grace = pod["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 30
        workers[uid]?.machine.terminate(grace: .seconds(grace), now: Date())
        sync(uid)
    }

    func exited(_ exit: ContainerExit) {
        guard let uid = byContainer.removeValue(forKey: exit.containerID) else { return }
        workers[uid]?.machine.exited(containerID: exit.containerID, exitCode: exit.exitCode, at: exit.finishedAt,
                                     reason: exit.reason)
        sync(uid)
    }

    func wake(_ uid: String) {
        workers[uid]?.timerAt = nil
        sync(uid)
    }

    /// Shutdown: no more wake-ups.
    func cancelTimers() {
        for worker in workers.values { worker.timer?.cancel() }
    }

    // MARK: The writer's side

    struct Write: Sendable {
        var namespace: String
        var name: String
        var uid: String
        var status: JSONValue?
        var delete: Bool
    }

    /// What the pod needs written now, if anything.
    func pendingWrite(_ uid: String) -> Write? {
        guard let worker = workers[uid], !worker.gone else { return nil }
        let pod = worker.pod
        if worker.wantsDelete {
            return Write(namespace: pod.objectNamespace, name: pod.objectName, uid: uid, status: nil, delete: true)
        }
        if worker.machine.isTerminating && worker.machine.runningContainerIDs.isEmpty && worker.written != nil { return nil }
        let status = worker.machine.status(now: Date(), hostIP: hostIP, podIP: worker.sandbox?.ip, startTime: worker.startTime,
                                           previous: worker.written ?? pod["status"])
        if status == worker.written { return nil }
        return Write(namespace: pod.objectNamespace, name: pod.objectName, uid: uid, status: status, delete: false)
    }

    func written(_ uid: String, status: JSONValue?, deleted: Bool) {
        if deleted {
            finish(uid)
        } else if let status {
            workers[uid]?.written = status
        }
    }

    /// The pod's object is gone (deleted or never to be written again): forget the worker.
    func finish(_ uid: String) {
        guard let worker = workers[uid], worker.machine.runningContainerIDs.isEmpty else {
            workers[uid]?.gone = true
            return
        }
        worker.timer?.cancel()
        workers[uid] = nil
        runtime.removePod(uid: uid)
    }

    // MARK: Acting

    private func sync(_ uid: String) {
        var wakeAt: Date?
        // A start that fails at once changes the machine again (a back-off to wait for): step until quiet.
        for _ in 0..<4 {
            guard var machine = workers[uid]?.machine else { return }
            let actions = machine.step(now: Date())
            workers[uid]?.machine = machine
            for action in actions {
                switch action {
                case .start(let name, let restartCount):
                    start(uid: uid, container: name, restartCount: restartCount)
                case .stop(let id, let force):
                    logger.debug("stopping", metadata: ["pod": "\(uid)", "container": "\(id)", "force": "\(force)"])
                    runtime.stop(containerID: id, force: force)
                case .wake(let at):
                    wakeAt = min(wakeAt ?? at, at)
                case .event(let event):
                    if let pod = workers[uid]?.pod { record(pod, event) }
                case .deletePod:
                    if workers[uid]?.gone == true {
                        finish(uid)
                        return
                    }
                    workers[uid]?.wantsDelete = true
                }
            }
            if !actions.contains(where: { if case .start = $0 { true } else { false } }) { break }
        }
        guard var worker = workers[uid] else { return }
        if let wakeAt, worker.timerAt != wakeAt {
            worker.timer?.cancel()
            worker.timerAt = wakeAt
            worker.timer = Task { [weak self] in
                try? await Task.sleep(for: .seconds(max(0, wakeAt.timeIntervalSinceNow)))
                guard !Task.isCancelled else { return }
                await self?.wake(uid)
            }
            workers[uid] = worker
        }
        notify(uid)
    }

    static let imageReasons: Set = [ImagePullDecision.errImagePull, ImagePullDecision.errImageNeverPull,
                                    ImagePullDecision.errInvalidImageName]

    private func start(uid: String, container name: String, restartCount: Int) {
        guard let pod = workers[uid]?.pod else { return }
        let inits = pod["spec"]?["initContainers"]?.arrayValue ?? []
        let isInit = inits.contains { $0["name"]?.stringValue == name }
        let spec = (inits + (pod["spec"]?["containers"]?.arrayValue ?? [])).first { $0["name"]?.stringValue == name } ?? [:]
        let event = { (type: String, reason: String, message: String) in
            self.record(pod, PodMachine.Event(container: name, isInit: isInit, type: type, reason: reason, message: message))
        }
        // What the kubelet's image manager and `startContainer` report, in their reasons and words.
        let failed = { (reason: String, message: String) in
            switch reason {
            case ImagePullDecision.errImageNeverPull: event("Warning", reason, message)
            case ImagePullDecision.errInvalidImageName: event("Warning", "InspectFailed", message)
            case ImagePullDecision.errImagePull: event("Warning", "Failed", message)
            default: break
            }
            event("Warning", "Failed", "Error: \(Self.imageReasons.contains(reason) ? reason : message)")
        }
        if workers[uid]?.sandbox == nil {
            do {
                workers[uid]?.sandbox = try runtime.preparePod(Self.sandboxConfig(uid: uid, pod: pod))
            } catch {
                let message = "Failed to create pod sandbox: \(error)"
                record(pod, PodMachine.Event(container: nil, isInit: false, type: "Warning", reason: "FailedCreatePodSandBox",
                                             message: message))
                workers[uid]?.machine.failedToStart(name, reason: "ContainerCreating", message: message, now: Date())
                return
            }
        }
        let imageName = spec["image"]?.stringValue ?? ""
        var image: Image?
        if let images {
            do {
                let policy = spec["imagePullPolicy"]?.stringValue.flatMap(PullPolicy.init(rawValue:))
                switch try images.pullDecision(image: imageName, policy: policy) {
                case .use(let found, let message):
                    image = found
                    event("Normal", "Pulled", message)
                case .fail(let reason, let message):
                    failed(reason, message)
                    workers[uid]?.machine.failedToStart(name, reason: reason, message: message, now: Date(), image: imageName)
                    return
                }
            } catch {
                failed(ImagePullDecision.errImagePull, "Failed to pull image \"\(imageName)\": \(error)")
                workers[uid]?.machine.failedToStart(name, reason: ImagePullDecision.errImagePull, message: "\(error)", now: Date(),
                                                    image: imageName)
                return
            }
        }
        let launch = Self.launch(uid: uid, spec: spec, image: image, restartCount: restartCount)
        do {
            let handle = try runtime.start(launch)
            byContainer[handle.id] = uid
            let imageID = image.map { $0.repoDigests.first ?? $0.id.description } ?? ""
            event("Normal", "Created", "Created container: \(name)")
            event("Normal", "Started", "Started container \(name)")
            workers[uid]?.machine.started(name, containerID: handle.id, at: handle.startedAt, image: imageName, imageID: imageID)
        } catch let error as ContainerRuntimeError {
            // A program that cannot be executed fails at the runtime's start, after the container was created.
            if error.reason == "StartError" { event("Normal", "Created", "Created container: \(name)") }
            failed(error.reason, error.message)
            workers[uid]?.machine.failedToStart(name, reason: error.reason, message: error.message, now: Date())
        } catch {
            failed("RunContainerError", "\(error)")
            workers[uid]?.machine.failedToStart(name, reason: "RunContainerError", message: "\(error)", now: Date())
        }
    }

    /// The sandbox of a pod: hostname `spec.hostname` or the pod's name (63 characters at most, as the kubelet).
    static func sandboxConfig(uid: String, pod: JSONValue) -> PodSandboxConfig {
        let spec = pod["spec"]
        let hostname = spec?["hostname"]?.stringValue ?? String(pod.objectName.prefix(63))
        return PodSandboxConfig(uid: uid, name: pod.objectName, namespace: pod.objectNamespace,
                                hostname: String(hostname.prefix(63).drop { $0 == "." || $0 == "-" }),
                                hostNetwork: spec?["hostNetwork"]?.boolValue ?? false,
                                shareProcessNamespace: spec?["shareProcessNamespace"]?.boolValue ?? false)
    }

    /// The process to run, as a container runtime builds it: `command` replaces the image's Entrypoint and
    /// drops its Cmd; `args` replaces Cmd. Env: the image's, then the container's plain `value`s.
    static func launch(uid: String, spec: JSONValue, image: Image?, restartCount: Int) -> ContainerLaunch {
        let strings = { (value: JSONValue?) in value?.arrayValue?.compactMap(\.stringValue) }
        let command = strings(spec["command"])
        let args = strings(spec["args"])
        let config = image?.config
        let argv: [String]
        if let command, !command.isEmpty {
            argv = command + (args ?? [])
        } else {
            argv = (config?.Entrypoint ?? []) + (args ?? config?.Cmd ?? [])
        }
        var environment: [String: String] = ["PATH": ProcessRuntime.defaultPath]
        for entry in config?.Env ?? [] {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { environment[String(parts[0])] = String(parts[1]) }
        }
        for variable in spec["env"]?.arrayValue ?? [] {
            guard let name = variable["name"]?.stringValue else { continue }
            environment[name] = variable["value"]?.stringValue ?? ""
        }
        let workingDir = spec["workingDir"]?.stringValue ?? config?.WorkingDir
        return ContainerLaunch(podUID: uid, name: spec["name"]?.stringValue ?? "", restartCount: restartCount, argv: argv,
                               environment: environment, workingDirectory: workingDir,
                               imageLayers: image?.layers.map(\.path) ?? [], resources: ContainerResources(containerSpec: spec))
    }
}
