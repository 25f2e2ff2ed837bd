import ArgumentParser
import Classifier
import LocalFiles
import Foundation
import Pipeline
import SafeText
import Settings

/// `--config`, declared once for every command that reads the configuration.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The configuration file.",
        discussion: "Default: $CONFIGURATION_DIRECTORY/drillwatch.toml, then ./config/drillwatch.toml, then /etc/drillwatch/drillwatch.toml."))
    var config: String?

    /// The settings, or a configuration error (exit status 2) that names the file and, when
    /// none was given, how to name one.
    func settings() throws(CLIError) -> Settings {
        do {
            return try ClassifierLoader.settings(config)
        } catch {
            let hint = config == nil ? "\n(no --config given: pass --config FILE, or run from a folder with config/drillwatch.toml)" : ""
            throw CLIError(.configuration, error.description + hint)
        }
    }

    /// The settings and the classifier they describe, the rules compiled once: checking them
    /// while reading the settings compiles them a first time (a twentieth of the CPU of an
    /// all-304 rescan). Only when something fails are the settings read again with every rule
    /// checked, so that the errors are those of `settings()` and `classifier(_:)`: every
    /// problem at once, with its line. Corpus warnings are shown once, for the classifier kept.
    func settingsAndClassifier() throws(CLIError) -> (Settings, Classifier) {
        var warnings: [CorpusWarning] = []
        if let settings = try? ClassifierLoader.settings(config, checkingRules: false),
           let classifier = try? ClassifierLoader.classifier(settings, warn: { warnings.append($0) }) {
            warnings.forEach(CorpusWarning.printToStandardError)
            return (settings, classifier)
        }
        let settings = try settings()
        return (settings, try classifier(settings))
    }

    /// The classifier the settings describe; its rules, gazetteer or corpus failing is a
    /// configuration error.
    func classifier(_ settings: Settings) throws(CLIError) -> Classifier {
        do { return try ClassifierLoader.classifier(settings) } catch { throw CLIError(.configuration, error.description) }
    }
}

/// An error for the user, shown one way by every command (`Error: …` on standard error), with
/// one set of exit codes:
///
/// | status | meaning |
/// |---|---|
/// | 0 | done |
/// | 1 | the work failed (a feed, a file, the state database) |
/// | 2 | the configuration is unusable |
/// | 64 | the command line is wrong (usage) |
/// | 75 | another drillwatch holds the state; try again later |
///
/// Shown as it is, with credentials in URLs masked and controls escaped (a path or a
/// server's words may carry either).
struct CLIError: Error, CustomStringConvertible {
    enum Kind: Sendable {
        case failure, configuration, busy

        var exitCode: Int32 {
            switch self {
            case .failure: 1
            case .configuration: 2
            case .busy: 75
            }
        }
    }

    let kind: Kind
    let description: String

    init(_ kind: Kind = .failure, _ description: String) {
        self.kind = kind
        self.description = Display.text(description)
    }

    init(_ description: String) { self.init(.failure, description) }

    /// The bytes of the file a command was given, or why it has none: "no such file", "a
    /// folder, not a file", "a named pipe, not a file" (which would block the command), or
    /// why it cannot be opened ("permission denied").
    static func readFile(_ path: String) throws(CLIError) -> Data {
        do { return try LocalFile.read(atPath: path) } catch { throw CLIError("\(path): \(error.reason)") }
    }
}

/// A command whose failures are reported as `CLIError` says: it implements `execute`, and
/// `run` prints the error and exits with its code.
protocol DrillwatchCommand: AsyncParsableCommand {
    func execute() async throws
}

extension DrillwatchCommand {
    func run() async throws {
        do {
            try await execute()
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            throw ExitCode(error.kind.exitCode)
        }
    }
}

/// Runs `body`, turning any error into a `CLIError` (a failure of the work: exit status 1).
func wrap<T>(_ body: () throws -> T) throws(CLIError) -> T {
    do { return try body() } catch let error as CLIError { throw error } catch { throw CLIError(String(describing: error)) }
}

func wrapAsync<T>(_ body: () async throws -> T) async throws(CLIError) -> T {
    do { return try await body() } catch let error as CLIError { throw error } catch { throw CLIError(String(describing: error)) }
}

/// A line on standard error: a warning or a note that is not the command's output.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// What `eval` and `train` say of labelled input.
enum LabelledInput {
    /// Items read once though given again (the same id in several files).
    static func repeatedWarning(_ count: Int) -> String {
        "warning: \(count) item\(count == 1 ? "" : "s") repeated an earlier one's id and \(count == 1 ? "was" : "were") read once "
            + "(a file given twice, or a split beside the files it was split from)"
    }
}

/// Rows of cells as lines of aligned columns, each as wide as its widest cell (counted in
/// characters), two spaces apart; the columns in `rightAligned` are padded on the left.
/// Padded by hand: Foundation's `padding(toLength:…)` goes through NSString, and for 2,000
/// feeds the scan's table was 1.4% of an all-304 rescan's CPU.
enum TextColumns {
    static func lines(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
        let widths = (rows.first ?? []).indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { cells in
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return rightAligned.contains(index) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
    }
}
