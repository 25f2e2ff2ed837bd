import Foundation
import GRDB

/// A problem with the state database, typed by what SQLite or PostgreSQL said (SQLite's result
/// code kept), with what the user can do about it. `path` is the database file, or for
/// PostgreSQL its URL without the password.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Another connection holds a lock longer than the busy timeout.
        case busy
        /// The disk (or the database's size limit) is full.
        case full
        /// The file or its folder cannot be written by this user.
        case readOnly
        /// The file is damaged or not a database.
        case corrupt
        /// The operating system failed a read or a write.
        case io
        /// The file or its folder cannot be opened or created.
        case cannotOpen
        /// There is no database yet (a command that only reads never creates one).
        case missing
        /// Its schema is older than this program's, and this command may not upgrade it.
        case outdated
        /// The database server cannot be reached (refused, timed out, lost mid-way).
        case unreachable
        /// The database server refused this user (password, `pg_hba.conf`, privileges).
        case refused
        /// Anything else (a constraint, a bug): the message says.
        case other
    }

    public let kind: Kind
    /// SQLite's extended result code, when SQLite reported the problem.
    public let resultCode: Int32?
    /// The database file (or folder), when there is one.
    public let path: String?
    public let message: String

    public init(_ kind: Kind, path: String?, _ message: String, resultCode: Int32? = nil) {
        self.kind = kind
        self.path = path
        self.message = message
        self.resultCode = resultCode
    }

    /// An error thrown by GRDB or SQLite, classified by its result code.
    init(_ error: any Error, path: String?, doing action: String? = nil) {
        if let error = error as? StoreError {
            self = error
            return
        }
        let message = action.map { "\($0) (\(error))" } ?? "\(error)"
        guard let database = error as? DatabaseError else {
            self.init(.other, path: path, message)
            return
        }
        let kind: Kind = switch database.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: .busy
        case .SQLITE_FULL: .full
        case .SQLITE_READONLY, .SQLITE_PERM: .readOnly
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: .corrupt
        case .SQLITE_IOERR: .io
        case .SQLITE_CANTOPEN: .cannotOpen
        default: .other
        }
        self.init(kind, path: path, message, resultCode: database.extendedResultCode.rawValue)
    }

    public var description: String {
        "\(path ?? "state database"): \(message)" + (advice.map { " — \($0)" } ?? "")
    }

    /// True when the state is a database server's (PostgreSQL: `path` is its URL), whose
    /// problems call for other advice than a file's.
    private var isServer: Bool { path?.hasPrefix("postgres") == true }

    /// What to do, by kind.
    var advice: String? {
        let folder = path.map { ($0 as NSString).deletingLastPathComponent } ?? "the state folder"
        return switch kind {
        case .busy where isServer: "another instance or transaction held what this one needed; nothing was lost, and the next pass tries again"
        case .busy: "another process holds the database locked (a backup, sqlite3 at a prompt); nothing was lost, try again"
        case .full: "the disk holding \(folder) is full; nothing was lost, free some space and scan again"
        case .readOnly where isServer:
            "the server accepts no writes (a standby, or a read-only transaction): point [store] url at the primary"
        case .readOnly: "the database or \(folder) is read-only for this user; check the owner and mode (the service runs as its own user)"
        case .corrupt: "the database file is damaged; restore it from a backup, or move it aside to start with an empty state"
        case .io: "the operating system failed a read or a write (a full or failing disk?); nothing committed was lost"
        case .cannotOpen where isServer:
            "create the database (createdb NAME, as a user who may), then run drillwatch store migrate or scan"
        case .cannotOpen: "check that \(folder) exists and this user may write there"
        case .missing where isServer:
            "nothing was scanned into this database yet (drillwatch scan; drillwatch store copy brings a SQLite state across)"
        case .missing: "nothing was scanned with this configuration yet (run drillwatch scan), or [paths] points elsewhere"
        case .outdated: "run drillwatch scan (or the service) once to bring it up to date"
        case .unreachable: "the database server cannot be reached; nothing committed was lost, and the service tries again "
            + "(check that PostgreSQL runs and [store] url names it)"
        case .refused: "the database server refused this user: check the user in [store] url, its password "
            + "([store] password, PGPASSFILE or ~/.pgpass) and the server's pg_hba.conf"
        case .other: nil
        }
    }
}
