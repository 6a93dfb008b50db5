import ArgumentParser

/// `skiff`: Kubernetes in one binary. Thin wiring only; the work is in the libraries.
@main
struct Skiff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff",
        abstract: "Kubernetes, rebuilt in Swift as one small, fast binary.",
        version: "0.1.0 (Kubernetes v1.32)",
        subcommands: [ServerCommand.self, APIServerCommand.self, ControllerManagerCommand.self, SchedulerCommand.self,
                      AgentCommand.self, ProxyCommand.self, ImageCommand.self, BenchCommand.self]
    )
}
