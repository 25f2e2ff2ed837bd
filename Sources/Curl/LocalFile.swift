import Foundation
import Glibc

/// What a local path names, checked before it is read: a feed or a document given by path must
/// be a regular file. Opening a named pipe blocks until something writes to it (a scan, and
/// the daemon's every later fetch, waited for ever), and a device never ends; a folder reads as
/// an empty document. Each gets a reason a user can act on instead.
///
/// Checked just before the file is opened, not while it is open: a path replaced by a pipe in
/// between is still read as one (the check is for mistakes in a configuration, not a defence
/// against a local user who can write the configured path anyway).
public enum LocalFile {
    /// Why `path` cannot be read as a file, or nil when it is a regular file (a symbolic link
    /// is followed).
    public static func problem(atPath path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return "no such file" }
            return String(cString: strerror(code)).lowercased()
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a folder, not a file"
        case S_IFIFO: return "a named pipe, not a file"
        case S_IFSOCK: return "a socket, not a file"
        default: return "a device, not a file"
        }
    }

    /// The path of a `file://` URL (percent-escapes decoded), or nil for any other URL.
    public static func path(ofFileURL url: String) -> String? {
        guard url.lowercased().hasPrefix("file:"), let parsed = URL(string: url), parsed.isFileURL else { return nil }
        return parsed.path
    }
}
