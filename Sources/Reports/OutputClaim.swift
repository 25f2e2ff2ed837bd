import Foundation

/// Two configurations that write to one output folder overwrite each other's `alerts.xml` and
/// digests without either knowing. The first to write there leaves its state database's path
/// in `.drillwatch-owner`; another state that finds a different, still existing owner is
/// warned (and writes anyway: refusing would stop alerts over a configuration slip).
public enum OutputClaim {
    public static let fileName = ".drillwatch-owner"

    /// Claims `folder` for the state at `statePath` (a database file, or a PostgreSQL URL).
    /// Returns a warning when another state already writes there; nil when the folder is this
    /// state's, or was free.
    public static func claim(_ folder: URL, statePath: String) -> String? {
        let marker = folder.appendingPathComponent(fileName)
        let me = identity(statePath)
        if let owner = owner(of: folder) {
            if owner == me { return nil }
            // A database server's state cannot be looked for from here: it is taken to exist.
            if owner.contains("://") || FileManager.default.fileExists(atPath: owner) {
                return "the output folder \(folder.path) is also written by the drillwatch whose state is \(owner); "
                    + "the two overwrite each other's alerts.xml and digests — give each configuration its own [paths] output"
            }
        }
        // Free, or its owner's state is gone: take it. A failure here is the output folder's
        // own problem, which writing the alerts reports.
        try? AtomicFile.write(Data((me + "\n").utf8), to: marker)
        return nil
    }

    /// Hands the folder from the state at `old` to the one at `new` (a state moved by
    /// `drillwatch store copy`), when `old` holds it.
    public static func handOver(_ folder: URL, from old: String, to new: String) {
        guard owner(of: folder) == identity(old) else { return }
        try? AtomicFile.write(Data((identity(new) + "\n").utf8), to: folder.appendingPathComponent(fileName))
    }

    private static func owner(of folder: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(fileName).path) else { return nil }
        let owner = String(decoding: data.prefix(4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return owner.isEmpty ? nil : owner
    }

    private static func identity(_ statePath: String) -> String {
        statePath.contains("://") ? statePath : URL(fileURLWithPath: statePath).standardizedFileURL.path
    }
}
