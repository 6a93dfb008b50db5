import SkiffBench
import Testing

/// The informer benchmark counts what it claims: every watch event reaches every handler, once.
@Suite struct InformerBenchmarkTests {
    @Test(arguments: [true, false])
    func everyEventReachesEveryHandler(decode: Bool) async throws {
        var options = InformerBenchmark.Options()
        options.objects = 50
        options.events = 3_000
        options.handlers = 3
        options.decode = decode
        let result = try await InformerBenchmark.run(options)
        #expect(result.events == 3_000)
        #expect(result.delivered == 9_000)
        #expect(result.seconds > 0)
    }
}
