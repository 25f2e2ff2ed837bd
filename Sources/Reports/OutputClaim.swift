import Foundation

/// Two configurations that write to one output folder overwrite each other's `alerts.xml` and
/// digests without either knowing. The first to write there leaves its state database's path
/// in `.drillwatch-owner`; another state that finds a different, still existing owner is
/// warned (and writes anyway: refusing would stop alerts over a configuration slip).
public enum OutputClaim {
    public static let fileName = ".drillwatch-owner"

    /// Claims `folder` for the state database at `statePath`. Returns a warning when another
    /// state already writes there; nil when the folder is this state's, or was free.
    public static func claim(_ folder: URL, statePath: String) -> String? {
        let marker = folder.appendingPathComponent(fileName)
        let me = URL(fileURLWithPath: statePath).standardizedFileURL.path
        if let data = FileManager.default.contents(atPath: marker.path) {
            let owner = String(decoding: data.prefix(4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if owner == me { return nil }
            if !owner.isEmpty && FileManager.default.fileExists(atPath: owner) {
                return "the output folder \(folder.path) is also written by the drillwatch whose state is \(owner); "
                    + "the two overwrite each other's alerts.xml and digests — give each configuration its own [paths] output"
            }
        }
        // Free, or its owner's state is gone: take it. A failure here is the output folder's
        // own problem, which writing the alerts reports.
        try? AtomicFile.write(Data((me + "\n").utf8), to: marker)
        return nil
    }
}
