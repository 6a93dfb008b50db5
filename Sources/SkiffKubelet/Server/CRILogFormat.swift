import SkiffAPI

/// A CRI log timestamp with nanoseconds, as RFC 3339 text (`2026-12-06T06:10:23.123456789Z`) reads it.
public struct LogTime: Sendable, Comparable, Hashable {
    public var seconds: Int64
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (a: LogTime, b: LogTime) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    /// Parses RFC 3339 with optional fraction and a `Z` or `±hh:mm` offset; nil when it is not one.
    public init?<S: Collection<UInt8>>(rfc3339 text: S) {
        let b = Array(text)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for byte in b[from..<from + count] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard b.count >= 20, let year = number(0, 4), b[4] == 0x2D, let month = number(5, 2), b[7] == 0x2D,
              let day = number(8, 2), b[10] == 0x54 || b[10] == 0x74, let hour = number(11, 2), b[13] == 0x3A,
              let minute = number(14, 2), b[16] == 0x3A, let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var nanos = 0
        if index < b.count, b[index] == 0x2E {
            index += 1
            var digits = 0
            while index < b.count, b[index] >= 0x30, b[index] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int(b[index] - 0x30) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        var offset = 0
        guard index < b.count else { return nil }
        switch b[index] {
        case 0x5A, 0x7A:
            index += 1
        case 0x2B, 0x2D:
            guard let oh = number(index + 1, 2), b.count > index + 3, b[index + 3] == 0x3A, let om = number(index + 4, 2) else {
                return nil
            }
            offset = (oh * 3600 + om * 60) * (b[index] == 0x2D ? -1 : 1)
            index += 6
        default:
            return nil
        }
        guard index == b.count else { return nil }
        let days = CivilDate.daysFromCivil(year: year, month: month, day: day)
        seconds = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second - offset)
        nanoseconds = Int32(nanos)
    }

    /// Go's `time.RFC3339Nano` in UTC: the fraction without trailing zeros, none when zero.
    public var rfc3339Nano: String {
        let days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let rest = Int(seconds - Int64(days) * 86400)
        let (year, month, day) = CivilDate.civilFromDays(days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3600, 2)):\(pad(rest / 60 % 60, 2)):\(pad(rest % 60, 2))"
        if nanoseconds > 0 {
            var fraction = pad(Int(nanoseconds), 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }
}

/// One line of a CRI log file: `<RFC3339Nano> stdout|stderr F|P <text>`.
public struct CRILogEntry: Sendable, Equatable {
    public enum Stream: String, Sendable { case stdout, stderr }
    /// Nil for a line not in the CRI format (a runtime writing raw text): shown as stdout, never filtered by time.
    public var time: LogTime?
    public var stream: Stream
    /// `P`: a piece of a longer line, continued by the next entry.
    public var partial: Bool
    /// The text, with the newline a full (`F`) line ended with.
    public var content: [UInt8]

    /// Parses one line of the file (without its newline).
    public init(line: some Collection<UInt8>) {
        let bytes = Array(line)
        let fields = bytes.split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
        if fields.count >= 3, let time = LogTime(rfc3339: fields[0]),
           let stream = Stream(rawValue: String(decoding: fields[1], as: UTF8.self)) {
            // Tags are `:`-separated; only the first says full or partial.
            let tag = fields[2].split(separator: 0x3A, omittingEmptySubsequences: false).first ?? []
            self.time = time
            self.stream = stream
            partial = Array(tag) == [0x50]
            content = fields.count > 3 ? Array(fields[3]) : []
        } else {
            time = nil
            stream = .stdout
            partial = false
            content = bytes
        }
        if !partial { content.append(0x0A) }
    }
}
