#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SkiffJSON

/// RFC 3339 timestamps as Go's `time.Parse(time.RFC3339, …)` reads them and `metav1.Time` writes them.
enum RFC3339 {
    /// The text of a JSON timestamp; null is the zero time (empty text).
    static func read(_ json: JSONValue) throws(ModelDecodingError) -> String {
        switch json {
        case .null: return ""
        case .string(let s):
            guard parse(s) != nil else { throw .invalidValue("invalid RFC 3339 time \"\(s)\"") }
            return s
        default: throw .typeMismatch(expected: "RFC 3339 time string", found: json)
        }
    }

    /// The text of the timestamp that is next in `reader`, as `read(_:)` takes it from a `JSONValue`.
    static func read(_ reader: inout JSONReader) throws -> String {
        let kind = try reader.peek()
        switch kind {
        case .null:
            _ = try reader.readNull()
            return ""
        case .string:
            let s = try reader.readString()
            guard parse(s) != nil else { throw ModelDecodingError.invalidValue("invalid RFC 3339 time \"\(s)\"") }
            return s
        default: throw ModelDecodingError.typeMismatch(expected: "RFC 3339 time string", found: kind)
        }
    }

    /// `2006-01-02T15:04:05[.fraction](Z|±hh:mm)`; nil when malformed or out of range.
    static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    /// `parse` over the text's bytes (no copy, no `Character`s: this runs for every timestamp decoded).
    static func parse(utf8 s: UnsafeBufferPointer<UInt8>) -> Date? {
        var pos = 0
        func number(_ width: Int) -> Int? {
            guard pos + width <= s.count else { return nil }
            var value = 0
            for c in s[pos..<pos + width] {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(c - UInt8(ascii: "0"))
            }
            pos += width
            return value
        }
        func expect(_ c: Unicode.Scalar) -> Bool {
            guard pos < s.count, s[pos] == UInt8(c.value) else { return false }
            pos += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            expect("T"), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2)
        else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour < 24,
            minute < 60, second < 60
        else { return nil }
        var fraction = 0.0
        if pos < s.count, s[pos] == UInt8(ascii: ".") || s[pos] == UInt8(ascii: ",") {
            pos += 1
            var scale = 0.1
            let start = pos
            while pos < s.count, s[pos] >= UInt8(ascii: "0"), s[pos] <= UInt8(ascii: "9") {
                fraction += Double(s[pos] - UInt8(ascii: "0")) * scale
                scale /= 10
                pos += 1
            }
            guard pos > start else { return nil }
        }
        var offset = 0
        if expect("Z") {
            offset = 0
        } else if pos < s.count, s[pos] == UInt8(ascii: "+") || s[pos] == UInt8(ascii: "-") {
            let sign = s[pos] == UInt8(ascii: "-") ? -1 : 1
            pos += 1
            guard let hours = number(2), expect(":"), let minutes = number(2), hours < 24, minutes < 60 else {
                return nil
            }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard pos == s.count else { return nil }
        let days = CivilDate.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// The instant in UTC, with `fractionDigits` (0 or 6) digits of fraction, truncated as Go's `Format` does.
    static func format(_ date: Date, fractionDigits: Int) -> String {
        let interval = date.timeIntervalSince1970
        let seconds: Int
        var micros = 0
        if fractionDigits == 0 {
            seconds = Int(interval.rounded(.down))
        } else {
            // Nearest microsecond: a Double near today's epoch resolves about 0.2 µs.
            let total = Int((interval * 1_000_000).rounded())
            seconds = total >= 0 ? total / 1_000_000 : (total - 999_999) / 1_000_000
            micros = total - seconds * 1_000_000
        }
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (year, month, day) = CivilDate.civilFromDays(days)
        var out = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
        out += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if fractionDigits > 0 { out += "." + pad(micros, 6) }
        return out + "Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// Calendar days and days since the Unix epoch in the proleptic Gregorian calendar (Howard Hinnant's
/// civil-date algorithms), for timestamps kept as integer seconds (no `Calendar`, no time zones).
public enum CivilDate {
    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    /// The (year, month, day) of a day counted from 1970-01-01.
    public static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (month <= 2 ? yearOfEra + era * 400 + 1 : yearOfEra + era * 400, month, day)
    }
}
