import ArgumentParser

@main
struct Trellis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trellis",
        abstract: "A self-hostable lead-nurturing engine.",
        subcommands: [Serve.self, Work.self, Demo.self, Migrate.self, Keys.self, Import.self, Export.self, Workflow.self, Simulate.self, Mail.self, Bench.self, Inbound.self, Scoring.self, Report.self, Users.self])
}

/// The `--db` option every command that touches the store takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The store: a SQLite file path, sqlite:///path/to/file.db, or postgres://user:password@host:port/database.")
    var db: String = "trellis.db"
}
