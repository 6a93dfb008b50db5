/// A quantity read as apimachinery's `ParseQuantity` reads it: ± `digits` × 10^`exponent10` × 2^`exponent2`.
struct ParsedQuantity {
    var negative: Bool
    /// Significant decimal digits (values 0–9), without leading zeros; empty for zero.
    var digits: [UInt8]
    var exponent10: Int
    var exponent2: Int
    /// A binary-suffixed quantity (`Ki` … `Ei`); apimachinery caps those at 2^63-1.
    var isBinary: Bool

    /// Parses `text`, or returns nil where apimachinery's `ParseQuantity` returns an error.
    /// Mirrors its scanner, oddities included: `.`, `+` and `1.G` parse; spaces do not.
    init?(_ text: String) {
        let s = Array(text.utf8)
        guard !s.isEmpty else { return nil }
        let end = s.count
        var pos = 0
        negative = false
        if s[0] == UInt8(ascii: "-") {
            negative = true
            pos = 1
        } else if s[0] == UInt8(ascii: "+") {
            pos = 1
        }
        while pos < end, s[pos] == UInt8(ascii: "0") { pos += 1 }
        digits = []
        exponent10 = 0
        exponent2 = 0
        isBinary = false
        if pos == end { return }  // only a sign and zeros: zero

        // Numerator, then an optional fraction.
        var fractionDigits = 0
        while pos < end, let d = Self.digit(s[pos]) {
            digits.append(d)
            pos += 1
        }
        if pos < end, s[pos] == UInt8(ascii: ".") {
            pos += 1
            while pos < end, let d = Self.digit(s[pos]) {
                digits.append(d)
                fractionDigits += 1
                pos += 1
            }
        }

        // Suffix: letters from "eEinumkKMGTP", then an optional sign and digits.
        let suffixStart = pos
        while pos < end, Self.isSuffixLetter(s[pos]) { pos += 1 }
        if pos < end, s[pos] == UInt8(ascii: "-") || s[pos] == UInt8(ascii: "+") { pos += 1 }
        while pos < end, Self.digit(s[pos]) != nil { pos += 1 }
        guard pos == end else { return nil }
        guard let (base10, base2, binary) = Self.interpret(suffix: s[suffixStart..<end]) else { return nil }

        if let firstNonZero = digits.firstIndex(where: { $0 != 0 }) {
            digits.removeSubrange(0..<firstNonZero)
        } else {
            digits = []
        }
        exponent10 = base10 - fractionDigits
        exponent2 = base2
        isBinary = binary
    }

    /// The amount divided by 10^`scale`, rounded up away from zero, as apimachinery's `ScaledValue`;
    /// `nil` when it does not fit in an `Int64` (where apimachinery silently overflows).
    func scaledValue(scale: Int) -> Int64? {
        guard !digits.isEmpty else { return 0 }
        var magnitude: UInt64
        if isBinary, Self.ceilingMagnitude(digits, exponent2: exponent2, shift: exponent10).map({ $0 > UInt64(Int64.max) }) ?? true {
            // apimachinery caps binary quantities at 2^63-1 when it parses them.
            guard let capped = Self.ceilingMagnitude(Self.decimalDigits(of: UInt64(Int64.max)), exponent2: 0, shift: -scale)
            else { return nil }
            magnitude = capped
        } else {
            guard let m = Self.ceilingMagnitude(digits, exponent2: exponent2, shift: exponent10 - scale) else { return nil }
            magnitude = m
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return negative ? -Int64(magnitude) : Int64(magnitude)
    }

    // MARK: - Arithmetic

    /// ⌈`digits` × 2^`exponent2` × 10^`shift`⌉, or nil when it passes `UInt64.max`.
    private static func ceilingMagnitude(_ digits: [UInt8], exponent2: Int, shift: Int) -> UInt64? {
        var digits = digits
        if exponent2 > 0 { multiply(&digits, byPowerOfTwo: exponent2) }
        var integerCount = digits.count + shift
        var roundUp = false
        if shift < 0 {
            // Digits after the decimal point only decide whether to round up.
            let kept = max(integerCount, 0)
            roundUp = digits[kept...].contains { $0 != 0 }
            digits.removeSubrange(kept...)
            integerCount = kept
        }
        guard integerCount <= 20 else { return nil }  // UInt64.max has 20 digits
        var result: UInt64 = 0
        for i in 0..<integerCount {
            let d = i < digits.count ? UInt64(digits[i]) : 0
            let (times10, o1) = result.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            result = sum
        }
        if roundUp {
            let (plusOne, overflow) = result.addingReportingOverflow(1)
            if overflow { return nil }
            result = plusOne
        }
        return result
    }

    /// Multiplies a big-endian decimal digit array in place, 2^30 at a time (a digit × 2^30 + carry fits a UInt64).
    private static func multiply(_ digits: inout [UInt8], byPowerOfTwo exponent: Int) {
        var remaining = exponent
        while remaining > 0 {
            let step = min(remaining, 30)
            remaining -= step
            var carry: UInt64 = 0
            for i in digits.indices.reversed() {
                let product = UInt64(digits[i]) << UInt64(step) + carry
                digits[i] = UInt8(product % 10)
                carry = product / 10
            }
            var prefix: [UInt8] = []
            while carry > 0 {
                prefix.append(UInt8(carry % 10))
                carry /= 10
            }
            digits.insert(contentsOf: prefix.reversed(), at: 0)
        }
    }

    private static func decimalDigits(of value: UInt64) -> [UInt8] {
        String(value).utf8.map { $0 - UInt8(ascii: "0") }
    }

    // MARK: - Scanning

    private static func digit(_ c: UInt8) -> UInt8? {
        c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : nil
    }

    private static func isSuffixLetter(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "i"), UInt8(ascii: "n"), UInt8(ascii: "u"),
            UInt8(ascii: "m"), UInt8(ascii: "k"), UInt8(ascii: "K"), UInt8(ascii: "M"), UInt8(ascii: "G"),
            UInt8(ascii: "T"), UInt8(ascii: "P"):
            return true
        default:
            return false
        }
    }

    /// The suffix's power of ten, power of two and whether it is binary; nil for an unknown suffix.
    private static func interpret(suffix: ArraySlice<UInt8>) -> (Int, Int, Bool)? {
        switch String(decoding: suffix, as: UTF8.self) {
        case "n": return (-9, 0, false)
        case "u": return (-6, 0, false)
        case "m": return (-3, 0, false)
        case "": return (0, 0, false)
        case "k": return (3, 0, false)
        case "M": return (6, 0, false)
        case "G": return (9, 0, false)
        case "T": return (12, 0, false)
        case "P": return (15, 0, false)
        case "E": return (18, 0, false)
        case "Ki": return (0, 10, true)
        case "Mi": return (0, 20, true)
        case "Gi": return (0, 30, true)
        case "Ti": return (0, 40, true)
        case "Pi": return (0, 50, true)
        case "Ei": return (0, 60, true)
        case let other:
            // A decimal exponent: "e" or "E" and a signed integer, as Go's strconv.ParseInt reads it.
            guard suffix.count > 1, other.first == "e" || other.first == "E",
                let exponent = Int64(other.dropFirst())
            else { return nil }
            // apimachinery narrows the exponent to 32 bits without a check; do the same.
            return (Int(Int32(truncatingIfNeeded: exponent)), 0, false)
        }
    }
}
