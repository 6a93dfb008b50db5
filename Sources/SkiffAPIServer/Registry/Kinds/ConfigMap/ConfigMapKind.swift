import Foundation
import SkiffAPI

/// ConfigMaps: key names, immutability once `immutable` is set, and the table.
enum ConfigMapKind {
    static let definition = KindDefinition(group: "", resource: "configmaps") {
        $0.table = table
        $0.validate = validateDataKeys
        $0.validateUpdateOnly = { immutableData($0, old: $1, binary: true) }
    }

    /// ConfigMap and Secret keys: `IsConfigMapKey` (alphanumerics, '-', '_' or '.').
    static func validateDataKeys(_ object: JSONValue) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        var seen = Set<String>()
        for field in ["data", "binaryData", "stringData"] {
            for key in object[field]?.objectValue?.keys ?? [] {
                problems += FieldProblem.each(field, key, configMapKeyProblems)
                if field != "stringData", !seen.insert(key).inserted {
                    problems.append(.invalid(field, .string(key), "duplicate of key present in data"))
                }
            }
        }
        return problems
    }

    static func configMapKeyProblems(_ key: String) -> [String] {
        var problems: [String] = []
        if key.utf8.count > 253 { problems.append(NameValidation.maxLengthError(253)) }
        let valid = !key.isEmpty && key.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E
        }
        if !valid {
            problems.append(NameValidation.regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                                                      "[-._a-zA-Z0-9]+", "key.name", "KEY_NAME", "key-name"))
        }
        if key == "." || key == ".." { problems.append("must not be '\(key)'") } else if key.hasPrefix("..") { problems.append("must not start with '..'") }
        return problems
    }

    /// Upstream's ValidateConfigMapUpdate / ValidateSecretUpdate (stringData is merged into data by now).
    static func immutableData(_ object: JSONValue, old: JSONValue, binary: Bool) -> [FieldProblem] {
        guard old["immutable"]?.boolValue == true else { return [] }
        var problems: [FieldProblem] = []
        if object["immutable"]?.boolValue != true {
            problems.append(.forbidden("immutable", "field is immutable when `immutable` is set"))
        }
        if (object["data"]?.objectValue ?? [:]) != (old["data"]?.objectValue ?? [:]) {
            problems.append(.forbidden("data", "field is immutable when `immutable` is set"))
        }
        if binary, (object["binaryData"]?.objectValue ?? [:]) != (old["binaryData"]?.objectValue ?? [:]) {
            problems.append(.forbidden("binaryData", "field is immutable when `immutable` is set"))
        }
        return problems
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Data", "integer"), P.ageColumn],
        row: { object, now in
            let count = (object["data"]?.objectValue?.count ?? 0) + (object["binaryData"]?.objectValue?.count ?? 0)
            return [P.name(object), .int(Int64(count)), P.age(object, now)]
        })
}
