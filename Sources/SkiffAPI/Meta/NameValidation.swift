/// The string checks of `k8s.io/apimachinery/pkg/util/validation`, with its messages. Each returns
/// the problems found (empty when valid). Hand-written matchers: no regex engine on these hot paths.
public enum NameValidation {
    static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let qualifiedNameMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let labelValueFormat = "(" + qualifiedNameFormat + ")?"
    static let labelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    static let dns1123SubdomainFormat = dns1123LabelFormat + "(\\." + dns1123LabelFormat + ")*"
    static let dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    static let dns1035LabelFormat = "[a-z]([-a-z0-9]*[a-z0-9])?"
    static let dns1035LabelMessage = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"

    /// `msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')`, exactly as upstream words it.
    public static func regexError(_ message: String, _ format: String, _ examples: String...) -> String {
        if examples.isEmpty { return message + " (regex used for validation is '" + format + "')" }
        var text = message + " (e.g. "
        for (i, example) in examples.enumerated() {
            if i > 0 { text += " or " }
            text += "'" + example + "', "
        }
        return text + "regex used for validation is '" + format + "')"
    }

    public static func maxLengthError(_ length: Int) -> String { "must be no more than \(length) characters" }
    public static let emptyError = "must be non-empty"

    @inline(__always) static func isLowerAlnum(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
    }

    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool {
        isLowerAlnum(c) || (c >= 0x41 && c <= 0x5A)
    }

    static func matchesDNS1123Label(_ s: Substring.UTF8View) -> Bool {
        guard let first = s.first, let last = s.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        return s.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    static func matchesQualifiedName(_ s: Substring.UTF8View) -> Bool {
        guard let first = s.first, let last = s.last, isAlnum(first), isAlnum(last) else { return false }
        return s.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// IsDNS1123Label: at most 63 lower-case alphanumerics or '-', alphanumeric at both ends.
    public static func dns1123Label(_ value: String) -> [String] {
        var problems: [String] = []
        if value.utf8.count > 63 { problems.append(maxLengthError(63)) }
        if !matchesDNS1123Label(value[...].utf8) {
            problems.append(regexError(dns1123LabelMessage, dns1123LabelFormat, "my-name", "123-abc"))
        }
        return problems
    }

    /// IsDNS1123Subdomain: at most 253 characters of dot-separated DNS-1123 labels.
    public static func dns1123Subdomain(_ value: String) -> [String] {
        var problems: [String] = []
        if value.utf8.count > 253 { problems.append(maxLengthError(253)) }
        let labels = value.split(separator: ".", omittingEmptySubsequences: false)
        if value.isEmpty || !labels.allSatisfy({ matchesDNS1123Label($0.utf8) }) {
            problems.append(regexError(dns1123SubdomainMessage, dns1123SubdomainFormat, "example.com"))
        }
        return problems
    }

    /// IsDNS1035Label: like a DNS-1123 label but starting with a letter (service names).
    public static func dns1035Label(_ value: String) -> [String] {
        var problems: [String] = []
        if value.utf8.count > 63 { problems.append(maxLengthError(63)) }
        let utf8 = value[...].utf8
        let startsWithLetter = utf8.first.map { $0 >= 0x61 && $0 <= 0x7A } ?? false
        if !startsWithLetter || !matchesDNS1123Label(utf8) {
            problems.append(regexError(dns1035LabelMessage, dns1035LabelFormat, "my-name", "abc-123"))
        }
        return problems
    }

    /// IsQualifiedName: `[prefix/]name` (label and annotation keys, finalizers).
    public static func qualifiedName(_ value: String) -> [String] {
        var problems: [String] = []
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        let name: Substring
        switch parts.count {
        case 1: name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                problems.append("prefix part " + emptyError)
            } else {
                problems.append(contentsOf: dns1123Subdomain(String(prefix)).map { "prefix part " + $0 })
            }
        default:
            return ["a qualified name " + regexError(qualifiedNameMessage, qualifiedNameFormat, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty {
            problems.append("name part " + emptyError)
        } else if name.utf8.count > 63 {
            problems.append("name part " + maxLengthError(63))
        }
        if !matchesQualifiedName(name.utf8) {
            problems.append("name part " + regexError(qualifiedNameMessage, qualifiedNameFormat, "MyName", "my.name", "123-abc"))
        }
        return problems
    }

    /// IsValidLabelValue: empty, or at most 63 characters like a qualified name's name part.
    public static func labelValue(_ value: String) -> [String] {
        var problems: [String] = []
        if value.utf8.count > 63 { problems.append(maxLengthError(63)) }
        if !value.isEmpty && !matchesQualifiedName(value[...].utf8) {
            problems.append(regexError(labelValueMessage, labelValueFormat, "MyValue", "my_value", "12345"))
        }
        return problems
    }

    /// ValidatePathSegmentName: names that may not be `.` or `..` nor contain `/` or `%`.
    public static func pathSegmentName(_ value: String, prefix: Bool = false) -> [String] {
        var problems: [String] = []
        if !prefix, value == "." || value == ".." { problems.append("may not be '\(value)'") }
        if value.contains("/") { problems.append("may not contain '/'") }
        if value.contains("%") { problems.append("may not contain '%'") }
        return problems
    }
}
