import SkiffAPI
/// The text forms Go's standard library gives times and durations, which Kubernetes' JSON uses.
enum GoValueFormatting {
    /// `time.Time{}` as Unix seconds (January 1, year 1, UTC): metav1 writes it as `null`.
    static let zeroTimeUnixSeconds: Int64 = -62_135_596_800

    /// `t.UTC().Format(time.RFC3339)`, or with `microseconds` (0 to 999,999) the `RFC3339Micro` layout of
    /// `metav1.MicroTime`.
    static func rfc3339(unixSeconds seconds: Int64, microseconds: Int64? = nil) -> String {
        // Floor division without overflow: any Int64 can arrive from the wire.
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            days -= 1
            secondOfDay += 86_400
        }
        // Civil date from days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        var text: [UInt8] = []
        text.reserveCapacity(32)
        func append(_ value: UInt64, width: Int) {
            // Digits least significant first, zero-padded, then turned around in place.
            let start = text.count
            var rest = value
            repeat {
                text.append(UInt8(ascii: "0") + UInt8(rest % 10))
                rest /= 10
            } while rest > 0
            while text.count - start < width { text.append(UInt8(ascii: "0")) }
            text[start...].reverse()
        }
        if year < 0 { text.append(UInt8(ascii: "-")) }
        append(year.magnitude, width: 4)
        text.append(UInt8(ascii: "-"))
        append(UInt64(month), width: 2)
        text.append(UInt8(ascii: "-"))
        append(UInt64(day), width: 2)
        text.append(UInt8(ascii: "T"))
        append(UInt64(secondOfDay / 3600), width: 2)
        text.append(UInt8(ascii: ":"))
        append(UInt64(secondOfDay / 60 % 60), width: 2)
        text.append(UInt8(ascii: ":"))
        append(UInt64(secondOfDay % 60), width: 2)
        if let microseconds {
            text.append(UInt8(ascii: "."))
            append(UInt64(clamping: microseconds), width: 6)
        }
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// `time.Duration(nanoseconds).String()`: "1m30s", "1.5s", "100ms", "0s", "-2h0m0s".
    static func duration(nanoseconds: Int64) -> String {
        // A port of Go's `Duration.format`, writing right to left.
        var buffer = [UInt8](repeating: 0, count: 32)
        var w = buffer.count
        var u = nanoseconds.magnitude
        func put(_ byte: UInt8) {
            w -= 1
            buffer[w] = byte
        }
        func putFraction(_ precision: Int) {
            var printed = false
            for _ in 0..<precision {
                let digit = u % 10
                printed = printed || digit != 0
                if printed { put(UInt8(ascii: "0") + UInt8(digit)) }
                u /= 10
            }
            if printed { put(UInt8(ascii: ".")) }
        }
        func putInteger(_ value: UInt64) {
            var v = value
            if v == 0 {
                put(UInt8(ascii: "0"))
                return
            }
            while v > 0 {
                put(UInt8(ascii: "0") + UInt8(v % 10))
                v /= 10
            }
        }
        if u < 1_000_000_000 {
            put(UInt8(ascii: "s"))
            let precision: Int
            switch u {
            case 0: return "0s"
            case ..<1_000:
                precision = 0
                put(UInt8(ascii: "n"))
            case ..<1_000_000:
                precision = 3
                put(0xB5)  // "µ" is 0xC2 0xB5 in UTF-8
                put(0xC2)
            default:
                precision = 6
                put(UInt8(ascii: "m"))
            }
            putFraction(precision)
            putInteger(u)
        } else {
            put(UInt8(ascii: "s"))
            putFraction(9)
            putInteger(u % 60)
            u /= 60
            if u > 0 {
                put(UInt8(ascii: "m"))
                putInteger(u % 60)
                u /= 60
                if u > 0 {
                    put(UInt8(ascii: "h"))
                    putInteger(u)
                }
            }
        }
        if nanoseconds < 0 { put(UInt8(ascii: "-")) }
        return String(decoding: buffer[w...], as: UTF8.self)
    }

    /// Whether text has the shape `resource.ParseQuantity` accepts: a decimal number and an optional binary-SI
    /// (Ki…Ei), decimal-SI (n u m k M G T P E) or exponent (e3, E-2) suffix.
    private static let decimalSuffixes: [UInt8] = Array("numkMGTPE".utf8)
    private static let binaryPrefixes: [UInt8] = Array("KMGTPE".utf8)

    static func isQuantity(_ text: String) -> Bool {
        let bytes = text.utf8
        var index = bytes.startIndex
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if index != bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            index = bytes.index(after: index)
        }
        var digits = 0
        var dots = 0
        while index != bytes.endIndex, isDigit(bytes[index]) || bytes[index] == UInt8(ascii: ".") {
            if bytes[index] == UInt8(ascii: ".") { dots += 1 } else { digits += 1 }
            index = bytes.index(after: index)
        }
        guard digits > 0, dots <= 1 else { return false }
        let suffix = bytes[index...]
        switch suffix.count {
        case 0: return true
        case 1 where decimalSuffixes.contains(suffix[suffix.startIndex]): return true
        case 2 where suffix.last == UInt8(ascii: "i") && binaryPrefixes.contains(suffix[suffix.startIndex]): return true
        default:
            // A decimal exponent: e or E, an optional sign, digits.
            var exponent = suffix.dropFirst()
            guard suffix.first == UInt8(ascii: "e") || suffix.first == UInt8(ascii: "E") else { return false }
            if exponent.first == UInt8(ascii: "+") || exponent.first == UInt8(ascii: "-") {
                exponent = exponent.dropFirst()
            }
            return !exponent.isEmpty && exponent.allSatisfy(isDigit)
        }
    }
}
