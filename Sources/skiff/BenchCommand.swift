import ArgumentParser

/// `skiff bench`: benchmarks that print one JSON object per result.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Run a benchmark and print its results as JSON.", subcommands: [])
}
