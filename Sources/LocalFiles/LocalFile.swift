import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A local path that must name a regular file: a feed or a document given by path, a corpus
/// file, a credential. Opening a named pipe blocks until something writes to it (a scan, and
/// the daemon's every later fetch, waited for ever), a device never ends, and a folder reads as
/// an empty document; each gets a reason a user can act on instead.
///
/// What drillwatch reads itself is opened without blocking and checked on the open descriptor
/// (`open`, `read`): no window between check and read. What another library opens (libcurl for
/// a local feed, SQLite, libxml2) is checked just before (`problem`): a path replaced by a pipe
/// in between is still opened as one, a mistake a configuration cannot make by accident.
public enum LocalFile {
    /// Why a path could not be read: what kind of failure, and in words for the user ("a named
    /// pipe, not a file").
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public enum Kind: Sendable { case missing, notAFile, unreadable }
        public let kind: Kind
        public let reason: String
        public var description: String { reason }
    }

    /// Why `path` cannot be read as a file, or nil when it is a regular file (a symbolic link
    /// is followed).
    public static func problem(atPath path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return failure(errno).reason }
        return problem(mode: status.st_mode)
    }

    /// The file at `path`, opened for reading: refused unless it is a regular file, without
    /// waiting on a pipe's writer.
    public static func open(atPath path: String) throws(Unreadable) -> FileHandle {
        let descriptor = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(errno) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure(errno) }
        if let problem = problem(mode: status.st_mode) { throw Unreadable(kind: .notAFile, reason: problem) }
        return handle
    }

    /// The bytes of the file at `path` (at most `limit`), refused as `open` refuses.
    public static func read(atPath path: String, limit: Int = .max) throws(Unreadable) -> Data {
        let handle = try open(atPath: path)
        do { return try handle.read(upToCount: limit) ?? Data() } catch {
            throw Unreadable(kind: .unreadable, reason: error.localizedDescription)
        }
    }

    /// The path of a `file://` URL (percent-escapes decoded), or nil for any other URL.
    public static func path(ofFileURL url: String) -> String? {
        guard url.lowercased().hasPrefix("file:"), let parsed = URL(string: url), parsed.isFileURL else { return nil }
        return parsed.path
    }

    private static func problem(mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a folder, not a file"
        case S_IFIFO: return "a named pipe, not a file"
        case S_IFSOCK: return "a socket, not a file"
        default: return "a device, not a file"
        }
    }

    private static func failure(_ code: Int32) -> Unreadable {
        code == ENOENT || code == ENOTDIR
            ? Unreadable(kind: .missing, reason: "no such file")
            : Unreadable(kind: .unreadable, reason: String(cString: strerror(code)).lowercased())
    }
}
