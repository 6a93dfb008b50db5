import SkiffAPI

/// The defaults upstream's `SetDefaults_*` functions give a pod spec (core/v1 defaults.go), applied
/// to pods and to every pod template.
enum PodDefaults {
    static func applyToPodSpec(_ spec: inout JSONValue) {
        setIfMissing(&spec, "restartPolicy", "Always")
        setIfMissing(&spec, "dnsPolicy", "ClusterFirst")
        setIfMissing(&spec, "schedulerName", "default-scheduler")
        setIfMissing(&spec, "terminationGracePeriodSeconds", 30)
        setIfMissing(&spec, "securityContext", [:])
        setIfMissing(&spec, "enableServiceLinks", true)
        for field in ["containers", "initContainers"] {
            guard var containers = spec[field]?.arrayValue else { continue }
            for i in containers.indices { applyToContainer(&containers[i]) }
            spec[field] = .array(containers)
        }
        if var volumes = spec["volumes"]?.arrayValue {
            for i in volumes.indices { applyToVolume(&volumes[i]) }
            spec["volumes"] = .array(volumes)
        }
        if spec["hostNetwork"]?.boolValue == true, var containers = spec["containers"]?.arrayValue {
            // Host networking: container ports are host ports.
            for i in containers.indices {
                guard var ports = containers[i]["ports"]?.arrayValue else { continue }
                for j in ports.indices where ports[j]["hostPort"] == nil { ports[j]["hostPort"] = ports[j]["containerPort"] }
                containers[i]["ports"] = .array(ports)
            }
            spec["containers"] = .array(containers)
        }
    }

    static func applyToContainer(_ container: inout JSONValue) {
        setIfMissing(&container, "terminationMessagePath", "/dev/termination-log")
        setIfMissing(&container, "terminationMessagePolicy", "File")
        if (container["imagePullPolicy"]?.stringValue ?? "").isEmpty {
            container["imagePullPolicy"] = .string(defaultPullPolicy(image: container["image"]?.stringValue ?? ""))
        }
        setIfMissing(&container, "resources", [:])
        if var ports = container["ports"]?.arrayValue {
            for i in ports.indices { setIfMissing(&ports[i], "protocol", "TCP") }
            container["ports"] = .array(ports)
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            guard var p = container[probe], p.objectValue != nil else { continue }
            setIfMissing(&p, "timeoutSeconds", 1)
            setIfMissing(&p, "periodSeconds", 10)
            setIfMissing(&p, "successThreshold", 1)
            setIfMissing(&p, "failureThreshold", 3)
            if var http = p["httpGet"], http.objectValue != nil {
                setIfMissing(&http, "path", "/")
                setIfMissing(&http, "scheme", "HTTP")
                p["httpGet"] = http
            }
            container[probe] = p
        }
        for hook in ["postStart", "preStop"] {
            if var http = container["lifecycle"]?[hook]?["httpGet"], http.objectValue != nil {
                setIfMissing(&http, "path", "/")
                setIfMissing(&http, "scheme", "HTTP")
                container.setValue(http, at: ["lifecycle", hook, "httpGet"])
            }
        }
        if var env = container["env"]?.arrayValue {
            for i in env.indices where env[i]["valueFrom"]?["fieldRef"] != nil {
                if env[i]["valueFrom"]?["fieldRef"]?["apiVersion"] == nil {
                    env[i].setValue("v1", at: ["valueFrom", "fieldRef", "apiVersion"])
                }
            }
            container["env"] = .array(env)
        }
    }

    static func applyToVolume(_ volume: inout JSONValue) {
        let sources = ["hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs", "iscsi",
                       "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker",
                       "downwardAPI", "fc", "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk",
                       "photonPersistentDisk", "projected", "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral",
                       "image"]
        if !sources.contains(where: { volume[$0] != nil }) { volume["emptyDir"] = [:] }
        for (source, mode) in [("secret", "defaultMode"), ("configMap", "defaultMode"), ("downwardAPI", "defaultMode"),
                               ("projected", "defaultMode")] {
            if var s = volume[source], s.objectValue != nil {
                setIfMissing(&s, mode, 420)
                if source == "downwardAPI", var items = s["items"]?.arrayValue {
                    for i in items.indices where items[i]["fieldRef"] != nil && items[i]["fieldRef"]?["apiVersion"] == nil {
                        items[i].setValue("v1", at: ["fieldRef", "apiVersion"])
                    }
                    s["items"] = .array(items)
                }
                volume[source] = s
            }
        }
        if var hostPath = volume["hostPath"], hostPath.objectValue != nil {
            setIfMissing(&hostPath, "type", "")
            volume["hostPath"] = hostPath
        }
    }

    /// `Always` for `:latest` or untagged images, `IfNotPresent` otherwise (digests included).
    static func defaultPullPolicy(image: String) -> String {
        if image.contains("@") { return "IfNotPresent" }
        let lastSegment = image.split(separator: "/").last.map(String.init) ?? image
        guard let colon = lastSegment.lastIndex(of: ":") else { return "Always" }
        let tag = lastSegment[lastSegment.index(after: colon)...]
        return tag == "latest" ? "Always" : "IfNotPresent"
    }

    /// Defaults of a pod template's spec (workload kinds).
    static func applyToTemplate(_ object: inout JSONValue, at path: [String] = ["spec", "template"]) {
        guard var template = object.value(at: path), template.objectValue != nil else { return }
        var spec = template["spec"] ?? [:]
        applyToPodSpec(&spec)
        template["spec"] = spec
        object.setValue(template, at: path)
    }

    static func setIfMissing(_ object: inout JSONValue, _ key: String, _ value: JSONValue) {
        if object[key] == nil { object[key] = value }
    }
}
