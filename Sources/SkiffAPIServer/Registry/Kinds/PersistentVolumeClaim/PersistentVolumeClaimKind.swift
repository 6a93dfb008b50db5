import Foundation
import SkiffAPI

/// PersistentVolumeClaims: what may change once created, and the table.
enum PersistentVolumeClaimKind {
    static let definition = KindDefinition(group: "", resource: "persistentvolumeclaims") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true) }
        $0.table = table
        $0.validateUpdateOnly = validateUpdate
    }

    /// `ValidatePersistentVolumeClaimUpdate`.
    static func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldProblem] {
        let spec = object["spec"] ?? [:], oldSpec = old["spec"] ?? [:]
        var mutable = spec, oldMutable = oldSpec
        let bound = old["status"]?["phase"]?.stringValue == "Bound"
        if (oldSpec["volumeName"]?.stringValue ?? "").isEmpty { mutable["volumeName"] = nil; oldMutable["volumeName"] = nil }
        if bound {
            mutable.setValue(nil, at: ["resources", "requests"])
            oldMutable.setValue(nil, at: ["resources", "requests"])
            mutable["volumeAttributesClassName"] = nil
            oldMutable["volumeAttributesClassName"] = nil
        }
        if spec["storageClassName"] != nil, oldSpec["storageClassName"] == nil {
            mutable["storageClassName"] = nil
            oldMutable["storageClassName"] = nil
        }
        guard mutable != oldMutable else { return [] }
        return [.forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims")]
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Status"), P.column("Volume"), P.column("Capacity"), P.column("Access Modes"),
                  P.column("StorageClass"), P.column("VolumeAttributesClass"), P.ageColumn, P.column("VolumeMode", wide: true)],
        row: { object, now in
            let spec = object["spec"] ?? [:]
            let status = object["status"] ?? [:]
            let phase = object["metadata"]?["deletionTimestamp"] != nil ? "Terminating" : (status["phase"]?.stringValue ?? "Pending")
            return [P.name(object), .string(phase), .string(spec["volumeName"]?.stringValue ?? ""),
                    .string(status["capacity"]?["storage"]?.stringValue ?? ""), .string(P.accessModes(status["accessModes"])),
                    .string(spec["storageClassName"]?.stringValue ?? ""), .string(spec["volumeAttributesClassName"]?.stringValue ?? "<unset>"),
                    P.age(object, now), .string(spec["volumeMode"]?.stringValue ?? "Filesystem")]
        })
}
