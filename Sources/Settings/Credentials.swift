import Foundation
import LocalFiles

/// Where secrets live: never in the configuration, which is world-readable, but one file per
/// secret in a credentials folder — systemd's `$CREDENTIALS_DIRECTORY` (`LoadCredential=` in
/// the unit) when it provides one, else `credentials/` beside the configuration file. A
/// setting names one with `credential:NAME`; the file holds the value (a trailing newline is
/// dropped).
public struct Credentials: Sendable {
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let folder: URL

    public init(folder: URL) {
        self.folder = folder
    }

    /// The folder for a configuration file at `file`.
    public static func folder(for file: URL, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            return URL(fileURLWithPath: directory)
        }
        return file.deletingLastPathComponent().appendingPathComponent("credentials")
    }

    /// `NAME` when `value` is `credential:NAME`.
    public static func reference(_ value: String) -> String? {
        guard value.hasPrefix("credential:") else { return nil }
        return String(value.dropFirst("credential:".count))
    }

    /// A credential's value. The name is one file name (letters, digits, `.`, `_`, `-`): a
    /// setting cannot point drillwatch at any other file.
    public func read(_ name: String) -> Result<String, Problem> {
        let allowed = !name.isEmpty && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
        guard allowed else {
            return .failure(Problem(description: "credential name '\(name)' must be a file name of letters, digits, '.', '_' and '-'"))
        }
        let file = folder.appendingPathComponent(name)
        // `LocalFile` opens it without blocking: a named pipe in the credentials folder blocked
        // the configuration's load (every command, the daemon's start and reload) in open().
        let data: Data
        do { data = try LocalFile.read(atPath: file.path, limit: 64 * 1024) } catch {
            switch error.kind {
            case .missing:
                return .failure(Problem(description: "credential '\(name)' not found: no readable file \(file.path) "
                    + "(under systemd, LoadCredential=\(name):/path/to/file in the unit)"))
            case .notAFile:
                return .failure(Problem(description: "credential '\(name)' (\(file.path)) is not a regular file (\(error.reason))"))
            case .unreadable:
                return .failure(Problem(description: "credential '\(name)' (\(file.path)) cannot be read (\(error.reason))"))
            }
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(Problem(description: "credential '\(name)' (\(file.path)) is not UTF-8 text"))
        }
        let value = text.trimmingCharacters(in: .newlines)
        guard !value.isEmpty else { return .failure(Problem(description: "credential '\(name)' (\(file.path)) is empty")) }
        return .success(value)
    }
}
