import SkiffAPI

/// `events.k8s.io/v1` Events served from core/v1 Event storage, as upstream shares one `events`
/// storage between the two groups (`pkg/apis/events/v1/conversion.go`): the fields are the same but
/// for their names, so conversion renames members in place and round-trips exactly.
struct EventsV1Converter: VersionConverter {
    /// Core/v1 member name → events.k8s.io/v1 member name.
    static let renames: [(core: String, events: String)] = [
        ("involvedObject", "regarding"), ("message", "note"), ("source", "deprecatedSource"),
        ("firstTimestamp", "deprecatedFirstTimestamp"), ("lastTimestamp", "deprecatedLastTimestamp"),
        ("count", "deprecatedCount"), ("reportingComponent", "reportingController"),
    ]
    static let toEvents = Dictionary(uniqueKeysWithValues: renames.map { ($0.core, $0.events) })
    static let toCore = Dictionary(uniqueKeysWithValues: renames.map { ($0.events, $0.core) })

    func fromStorage(_ object: JSONValue) -> JSONValue { Self.renaming(object, Self.toEvents) }
    func toStorage(_ object: JSONValue) -> JSONValue { Self.renaming(object, Self.toCore) }

    /// Upstream's `AddFieldLabelConversionsForEvent` for events.k8s.io/v1.
    let fieldLabels: [String: String] = {
        var labels = ["reason": "reason", "reportingController": "reportingComponent", "source": "source", "type": "type",
                      "metadata.namespace": "metadata.namespace", "metadata.name": "metadata.name"]
        for field in ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"] {
            labels["regarding.\(field)"] = "involvedObject.\(field)"
        }
        return labels
    }()

    func servedPath(_ storagePath: String, in object: JSONValue) -> String {
        FieldPathRenames.rename(storagePath, Self.renames.map { (from: $0.core, to: $0.events) })
    }

    /// Upstream's `ValidateEventCreate` for events.k8s.io/v1 (strict, unlike core/v1's legacy checks).
    func validateCreate(_ event: JSONValue) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        func text(_ key: String) -> String { event[key]?.stringValue ?? "" }
        func isSet(_ key: String) -> Bool {
            switch event[key] {
            case nil, .null?: return false
            case .string(let s)?: return !s.isEmpty
            case .int(let i)?: return i != 0
            case .object(let o)?: return o.contains { !($0.value.isNull || $0.value.stringValue == "") }
            default: return true
            }
        }
        let namespace = event["metadata"]?["namespace"]?.stringValue ?? ""
        let regardingNamespace = event["regarding"]?["namespace"]?.stringValue ?? ""
        if regardingNamespace.isEmpty && namespace != "default" && namespace != "kube-system" {
            problems.append(.invalid("regarding.namespace", .string(regardingNamespace), "does not match event.namespace"))
        }
        let controller = text("reportingController")
        if controller.isEmpty { problems.append(.required("reportingController")) }
        problems += FieldProblem.each("reportingController", controller, NameValidation.qualifiedName)
        if text("reportingInstance").isEmpty { problems.append(.required("reportingInstance")) }
        if text("reportingInstance").count > 128 {
            problems.append(.invalid("reportingInstance", "", "can have at most 128 characters"))
        }
        for (key, limit) in [("action", 128), ("reason", 128)] {
            if text(key).isEmpty { problems.append(.required(key)) }
            if text(key).count > limit { problems.append(.invalid(key, "", "can have at most \(limit) characters")) }
        }
        if text("note").utf8.count > 1024 { problems.append(.invalid("note", "", "can have at most 1024 characters")) }
        if let series = event["series"], !series.isNull {
            if (series["count"]?.intValue ?? 0) < 2 { problems.append(.invalid("series.count", "", "should be at least 2")) }
            if (series["lastObservedTime"]?.stringValue ?? "").isEmpty { problems.append(.required("series.lastObservedTime")) }
        }
        if (event["eventTime"]?.stringValue ?? "").isEmpty { problems.append(.required("eventTime")) }
        let type = text("type")
        if type != "Normal" && type != "Warning" { problems.append(.invalid("type", "", "has invalid value: \(type)")) }
        for key in ["deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount", "deprecatedSource"] where isSet(key) {
            problems.append(.invalid(key, "", "needs to be unset"))
        }
        return problems
    }

    /// `object` with its top-level members renamed by `names`, in their original order.
    static func renaming(_ object: JSONValue, _ names: [String: String]) -> JSONValue {
        guard case .object(let members) = object else { return object }
        var result = JSONObject()
        for (key, value) in members {
            result[names[key] ?? key] = value
        }
        return .object(result)
    }
}
