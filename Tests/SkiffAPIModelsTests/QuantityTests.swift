import SkiffAPIModels
import SkiffJSON
import Testing

@Suite struct QuantityTests {
    // Expected figures are apimachinery's `Value()` and `MilliValue()` for the same text.
    @Test(arguments: [
        ("100m", 1, 100), ("1", 1, 1000), ("0.5", 1, 500), ("0.25", 1, 250), ("1Ki", 1024, 1_024_000),
        ("2Gi", 2_147_483_648, 2_147_483_648_000), ("512Mi", 536_870_912, 536_870_912_000), ("1e3", 1000, 1_000_000),
        ("1E-3", 1, 1), ("1k", 1000, 1_000_000), ("1.5Gi", 1_610_612_736, 1_610_612_736_000), ("100.035k", 100_035, 100_035_000),
        ("1.3E+6", 1_300_000, 1_300_000_000), ("0.5Mi", 524_288, 524_288_000), ("5n", 1, 1), ("0.9n", 1, 1),
        ("-1.5", -2, -1500), ("-100m", -1, -100), ("0", 0, 0), ("0Gi", 0, 0), ("1.G", 1_000_000_000, 1_000_000_000_000),
        (".001", 1, 1), ("+2M", 2_000_000, 2_000_000_000), ("3800m", 4, 3800), ("7901560Ki", 8_091_197_440, 8_091_197_440_000),
    ] as [(String, Int64, Int64)])
    func parsesAsApimachineryDoes(text: String, value: Int64, milliValue: Int64) {
        let quantity = Quantity(text)
        #expect(quantity.isValid)
        #expect(quantity.value == value)
        #expect(quantity.milliValue == milliValue)
    }

    @Test(arguments: ["", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1", "1 ", "1e", "2GiB", "--1"])
    func refusesMalformedText(text: String) {
        #expect(!Quantity(text).isValid)
        #expect(Quantity(text).milliValue == nil)
    }

    @Test func binaryQuantitiesSaturateAndOthersOverflowToNil() {
        #expect(Quantity("8Ei").value == Int64.max)  // apimachinery caps binary quantities at 2^63-1
        #expect(Quantity("9223372036854775807Ki").value == Int64.max)
        #expect(Quantity("8Ei").milliValue == nil)
        #expect(Quantity("12E").value == nil)
        #expect(Quantity("9223372036854775807").value == Int64.max)
        #expect(Quantity("9223372036854775807").milliValue == nil)
        #expect(Quantity("1e-40").value == 1)
    }

    @Test func readsStringsAndNumbersFromJSONAndKeepsTheText() throws {
        #expect(try Quantity(json: "250m") == "250m")
        #expect(try Quantity(json: 2).string == "2")
        #expect(try Quantity(json: 0.5).milliValue == 500)
        #expect(try Quantity(json: " 1Gi ").string == "1Gi")
        #expect(Quantity("1000m").json == "1000m")
        #expect(Quantity(milliValue: 2000) == "2")
        #expect(Quantity(milliValue: 1500) == "1500m")
        #expect(throws: ModelDecodingError.self) { try Quantity(json: "lots") }
        #expect(throws: ModelDecodingError.self) { try Quantity(json: true) }
    }
}
