import Foundation
import SkiffAPI

/// PersistentVolumes: an immutable volume source and mode, and the table.
enum PersistentVolumeKind {
    static let definition = KindDefinition(group: "", resource: "persistentvolumes") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true) }
        $0.table = table
        $0.validateUpdateOnly = validateUpdate
    }

    /// `ValidatePersistentVolumeUpdate`.
    static func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:], oldSpec = old["spec"] ?? [:]
        var problems: [FieldProblem] = []
        let nonSource: Set = ["capacity", "accessModes", "claimRef", "persistentVolumeReclaimPolicy", "storageClassName",
                              "mountOptions", "volumeMode", "nodeAffinity", "volumeAttributesClassName"]
        let source = { (s: JSONValue) in s.objectValue?.storage.filter { !nonSource.contains($0.key) } }
        if source(spec) != source(oldSpec) {
            problems.append(.forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"))
        }
        if let mode = spec["volumeMode"], mode != oldSpec["volumeMode"] {
            problems.append(.invalid("volumeMode", mode, "field is immutable"))
        }
        return problems
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Capacity"), P.column("Access Modes"), P.column("Reclaim Policy"), P.column("Status"),
                  P.column("Claim"), P.column("StorageClass"), P.column("VolumeAttributesClass"), P.column("Reason"), P.ageColumn,
                  P.column("VolumeMode", wide: true)],
        row: { object, now in
            let spec = object["spec"] ?? [:]
            let status = object["status"] ?? [:]
            var claim = ""
            if let ref = spec["claimRef"], let name = ref["name"]?.stringValue { claim = "\(ref["namespace"]?.stringValue ?? "")/\(name)" }
            let phase = object["metadata"]?["deletionTimestamp"] != nil ? "Terminating" : (status["phase"]?.stringValue ?? "Pending")
            return [P.name(object), .string(spec["capacity"]?["storage"]?.stringValue ?? ""), .string(P.accessModes(spec["accessModes"])),
                    .string(spec["persistentVolumeReclaimPolicy"]?.stringValue ?? ""), .string(phase), .string(claim),
                    .string(spec["storageClassName"]?.stringValue ?? ""), .string(spec["volumeAttributesClassName"]?.stringValue ?? "<unset>"),
                    .string(status["reason"]?.stringValue ?? ""), P.age(object, now), .string(spec["volumeMode"]?.stringValue ?? "Filesystem")]
        })
}
