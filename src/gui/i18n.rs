//! The window's words in English and Simplified Chinese.
//!
//! Every string the window shows is a [`T`] key with both texts side by side
//! in one table, so a missing translation is a compile error, and a test
//! walks the table. Values go in by name (`{n}`), never by gluing pieces
//! together, so each language keeps its own word order.
//!
//! The language is per thread: the UI thread sets it from the settings at
//! the start of every frame. (Tests run windows on several threads at once,
//! in different languages.) The engine and `fanout get` stay in English.

use std::cell::Cell;
use std::fmt::Display;

use serde::{Deserialize, Serialize};

use crate::compare::CompareError;
use crate::engine::HeaderError;
use crate::engine::{EngineConfig, FetchError, Note, RangeError, RedirectError};
use crate::input::OptionError;
use crate::pattern::PatternError;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The language's name in itself, as a language menu shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "简体中文",
        }
    }

    /// The system's language, if it is one of ours; English otherwise.
    /// Read once: the window asks every frame, and a process's locale does
    /// not change while it runs.
    pub fn from_system() -> Lang {
        static SYSTEM: std::sync::OnceLock<Lang> = std::sync::OnceLock::new();
        *SYSTEM.get_or_init(|| Lang::from_locale(&sys_locale::get_locale().unwrap_or_default()))
    }

    /// `zh-CN`, `zh_CN.UTF-8`, `zh-Hans-SG` are Chinese; so is a bare `zh`.
    /// Traditional-script locales (`zh-TW`, `zh-HK`, `zh-Hant`) would rather
    /// read English than the wrong script.
    pub fn from_locale(locale: &str) -> Lang {
        let l = locale.to_ascii_lowercase().replace('_', "-");
        let traditional = ["zh-tw", "zh-hk", "zh-mo", "zh-hant"]
            .iter()
            .any(|t| l.starts_with(t));
        if (l == "zh" || l.starts_with("zh-") || l.starts_with("zh.")) && !traditional {
            Lang::Zh
        } else {
            Lang::En
        }
    }
}

thread_local! {
    static LANG: Cell<Lang> = const { Cell::new(Lang::En) };
}

/// Sets this thread's language.
pub fn set(lang: Lang) {
    LANG.with(|l| l.set(lang));
}

pub fn lang() -> Lang {
    LANG.with(Cell::get)
}

macro_rules! catalogue {
    ($($key:ident: $en:literal, $zh:literal;)*) => {
        /// A text of the window; [`T::text`] gives it in a language.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum T { $($key,)* }

        impl T {
            pub const ALL: &'static [T] = &[$(T::$key,)*];

            pub fn text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $(
                        (T::$key, Lang::En) => $en,
                        (T::$key, Lang::Zh) => $zh,
                    )*
                }
            }
        }
    };
}

catalogue! {
    // Toolbar
    AddUrls: "Add URLs", "添加网址";
    AddUrlsHint: "Ctrl+V pastes URLs", "按 Ctrl+V 粘贴网址";
    PauseQueue: "Pause queue", "暂停队列";
    PauseQueueHint: "While paused, no new task starts; running ones go on.", "暂停期间不会开始新任务，正在进行的任务继续。";
    NSelected: "{n} selected", "已选 {n} 个";
    PauseSelected: "Pause selected", "暂停所选";
    ResumeSelected: "Resume selected", "继续所选";
    CancelSelected: "Cancel selected", "取消所选";
    RetrySelected: "Retry selected", "重试所选";
    SelectAll: "Select all", "全选";
    ClearList: "Clear list", "清空列表";
    ClearListHint: "Remove every task from the list (files stay on disk).", "从列表中移除所有任务（文件仍留在磁盘上）。";
    ClearListDisabled: "Possible when no task is queued, running or paused.", "没有排队、运行或暂停的任务时才能清空。";
    TabDownloads: "Downloads", "下载";
    TabTimeline: "Timeline", "时间线";
    TabCompare: "Compare engines", "引擎对比";

    // Settings
    Settings: "Settings", "设置";
    Engine: "Engine", "引擎";
    Workers: "Workers", "并发数";
    ZeroNoLimit: "0 = no limit", "0 = 不限";
    KeepOrder: "Keep submission order", "保持提交顺序";
    KeepOrderHint: "Release results in the order they were added (executor.map), not as they finish (as_completed).", "按添加的顺序给出结果（executor.map），而不是按完成的顺序（as_completed）。";
    ConnectTimeout: "Connect timeout (s)", "连接超时（秒）";
    StallTimeout: "Stall timeout (s)", "停滞超时（秒）";
    StallTimeoutHint: "No byte for this long: the attempt is dropped and tried again.", "这么久没有收到任何字节：放弃本次尝试并重试。";
    ConnectionsPerFile: "Connections per file", "每个文件的连接数";
    ConnectionsPerFileHint: "A file of 16 MiB or more, on a server that takes ranges, is fetched over this many connections at once. Each counts against Workers. 1 = never split. A line can ask for its own: URL segments=K.", "服务器支持分段请求时，16 MiB 及以上的文件同时通过这么多个连接下载。每个连接都计入并发数。1 = 不分段。单行可以自行指定：URL segments=K。";
    SpeedLimit: "Speed limit (KiB/s)", "限速（KiB/s）";
    SpeedLimitHint: "Over all downloads together; 0 = no limit. Running downloads follow a change at once. A single download's own limit: its row's … button.", "所有下载合计；0 = 不限。修改后正在进行的下载立即生效。单个下载的限速：点该行的 … 按钮。";
    Retries: "Retries", "重试次数";
    RetriesHint: "Tries after the first for a lost connection, a stall, a short body or a 5xx, with growing pauses; each continues from the bytes already saved.", "连接中断、停滞、内容不完整或 5xx 时，首次之后再尝试的次数，间隔逐渐加长；每次都从已保存的字节处继续。";
    ResumeOnStart: "Resume unfinished downloads at start", "启动时继续未完成的下载";
    NotifyOnFinish: "Notify when a batch finishes", "一批下载完成时发出通知";
    NotifyOnFinishHint: "A desktop notification with how many files were saved and how many failed.", "桌面通知：保存了多少个文件，失败了多少个。";
    Language: "Language", "语言";
    LangSystem: "System ({lang})", "跟随系统（{lang}）";
    Theme: "Theme", "外观";
    ThemeSystem: "System", "跟随系统";
    ThemeLight: "Light", "浅色";
    ThemeDark: "Dark", "深色";
    EngineChangeNote: "A new engine or worker count applies to tasks that have not started; running ones finish where they are.", "新的引擎或并发数只用于尚未开始的任务；正在进行的任务在原处完成。";
    OldEngineStillRuns: "Some tasks still run on the previous engine.", "有些任务仍在之前的引擎上运行。";
    DownloadFolder: "Download folder", "下载文件夹";
    WaitingFolderDialog: "waiting for the folder dialog…", "正在等待文件夹对话框…";
    Choose: "Choose…", "选择…";
    EngSequential: "Sequential", "顺序";
    EngThreads: "Threads", "线程池";
    EngAsync: "Async", "异步";
    EngSequentialHelp: "One thread, one download after another.", "一个线程，一个接一个地下载。";
    EngThreadsHelp: "A pool of OS threads, each blocked on one download; Workers threads at once.", "操作系统线程池，每个线程等候一个下载；同时运行的线程数即并发数。";
    EngAsyncHelp: "Tokio tasks with async HTTP on one thread; Workers tasks at once (0 = no limit).", "在一个线程上运行的 Tokio 任务，异步 HTTP；同时运行的任务数即并发数（0 = 不限）。";
    EngAria2Help: "An aria2 daemon (aria2c --enable-rpc) on this or another machine; Workers downloads handed to it at once.", "本机或其他机器上的 aria2 守护进程（aria2c --enable-rpc）；同时交给它的下载数即并发数。";
    Aria2Url: "aria2 RPC address", "aria2 RPC 地址";
    Aria2Secret: "aria2 secret", "aria2 密钥";
    Aria2SecretHint: "--rpc-secret (or $FANOUT_ARIA2_SECRET)", "--rpc-secret（或 $FANOUT_ARIA2_SECRET）";
    RemoteFolder: "Remote folder", "远程文件夹";
    RemoteFolderHint: "a folder on the daemon's machine (empty: its --dir)", "守护进程所在机器上的文件夹（留空：用它的 --dir）";

    // Results
    Results: "Results", "结果";
    InSubmissionOrder: "In submission order (executor.map)", "按提交顺序（executor.map）";
    InCompletionOrder: "In completion order (as_completed)", "按完成顺序（as_completed）";
    HeldBack: "{n} finished, held back for an earlier task", "{n} 个已完成，正在等待更早的任务";
    DoneNo: "Done #", "完成序号";
    TaskNo: "Task #", "任务号";
    Name: "Name", "名称";

    // Status bar
    TaskTotals: "{total} tasks: {done} done, {failed} failed, {running} running, {queued} queued, {paused} paused, {cancelled} cancelled", "共 {total} 个任务：{done} 个完成，{failed} 个失败，{running} 个运行中，{queued} 个排队，{paused} 个暂停，{cancelled} 个已取消";
    NoLimit: "no limit", "不限";
    InFlight: "{n} in flight, {connections} connections of {limit}", "{n} 个进行中，占用 {connections} 个连接，上限 {limit}";
    InFlightHint: "Workers bound connections: a file split into 8 parts holds 8 of them.", "并发数限制的是连接数：分成 8 段的文件占用 8 个。";
    EngineAria2At: "Engine: aria2 at {host}", "引擎：aria2（{host}）";
    Connected: "connected", "已连接";
    Reconnecting: "connection lost, reconnecting…", "连接已断开，正在重连…";
    EngineIs: "Engine: {engine}", "引擎：{engine}";
    QueuePausedNote: "queue paused", "队列已暂停";

    // Notices
    QueueNotSaved: "The queue will not be saved: {e}", "队列将不会被保存：{e}";
    UnfinishedBack: "{n} unfinished downloads are back, paused: select them and press Resume selected.", "{n} 个未完成的下载已恢复，处于暂停状态：选中它们后点“继续所选”。";
    EngineNotChanged: "Engine not changed: {e}", "引擎未更改：{e}";
    NoEngine: "No engine runs: choose one that works in Settings. Nothing was added or changed.", "没有运行中的引擎：请在设置中选择可用的引擎。未添加或更改任何内容。";
    SettingsNotSaved: "Could not save settings to {path}: {e}", "无法把设置保存到 {path}：{e}";
    CouldNotOpen: "Could not open {path}: {e}", "无法打开 {path}：{e}";
    CouldNotSave: "Could not save {path}: {e}", "无法保存 {path}：{e}";
    SavedAs: "Saved {path}", "已保存 {path}";
    NoFolderDialog: "The folder dialog could not open here (no desktop portal or zenity). Type the folder in the field instead.", "这里打不开文件夹对话框（没有桌面门户或 zenity）。请直接在输入框中填写文件夹。";
    DroppedNoUrls: "The dropped files hold no URLs.", "拖入的文件中没有网址。";
    EngineDidNotStart: "The download engine did not start: {e}", "下载引擎未能启动：{e}";

    // Add dialog
    AddDownloads: "Add downloads", "添加下载";
    Urls: "URLs", "网址";
    AddHelp: "One URL a line. Patterns: [1-64], [001-064], [0-100:10], {a,b,c}. After a URL: sha256=HEX, segments=K (connections), limit=2M (speed).", "每行一个网址。模式：[1-64]、[001-064]、[0-100:10]、{a,b,c}。网址后可加：sha256=HEX、segments=K（连接数）、limit=2M（速度）。";
    ReadingClipboard: "reading the clipboard…", "正在读取剪贴板…";
    UrlToAdd: "{n} URL to add", "将添加 {n} 个网址";
    UrlsToAdd: "{n} URLs to add", "将添加 {n} 个网址";
    OverCap: "{n} URLs to add: more than the limit of {cap}; add them in smaller batches", "将添加 {n} 个网址：超过上限 {cap}，请分批添加";
    InvalidLine: "{n} invalid line (not added)", "{n} 行无效（不会添加）";
    InvalidLines: "{n} invalid lines (not added)", "{n} 行无效（不会添加）";
    LineReason: "line {line}: {why}", "第 {line} 行：{why}";
    Sha256Field: "SHA-256 (optional, for one URL)", "SHA-256（可选，仅限一个网址）";
    Sha256Hint: "64 hex digits, as sha256sum prints them", "64 位十六进制数字，与 sha256sum 的输出相同";
    ShaOneFile: "a SHA-256 checks one file, and there are {n} URLs", "一个 SHA-256 只能校验一个文件，而这里有 {n} 个网址";
    ShaOneFileLine: "a SHA-256 checks one file, and this line makes {n} URLs", "一个 SHA-256 只能校验一个文件，而这一行会生成 {n} 个网址";
    AddToQueue: "Add to queue", "加入队列";
    AddedSome: "Added {n}. The lines left here were not added: fix them or close the dialog.", "已添加 {n} 个。留在这里的行没有添加：请修改或关闭对话框。";
    Close: "Close", "关闭";
    RangeBackwards: "bad range: [{group}]: {from} is after {to}; write the smaller number first", "范围有误：[{group}] 中 {from} 大于 {to}；请把较小的数写在前面";
    RangeZeroStep: "bad range: [{group}]: the step must be at least 1", "范围有误：[{group}] 的步长至少为 1";
    RangeTooLarge: "bad range: [{group}]: {value} is too large", "范围有误：[{group}] 中的 {value} 太大";
    OptNotAnOption: "{word} after the URL: expected sha256=HEX, segments=K, limit=RATE, out=NAME, header=\"Name: value\", referer=URL, user-agent=TEXT, mirror=URL or cookies=FILE", "网址后的 {word} 无法识别：应为 sha256=HEX、segments=K、limit=RATE、out=NAME、header=\"Name: value\"、referer=URL、user-agent=TEXT、mirror=URL 或 cookies=FILE";
    OptUnknown: "unknown option {key}: expected sha256=HEX, segments=K, limit=RATE, out=NAME, header=\"Name: value\", referer=URL, user-agent=TEXT, mirror=URL or cookies=FILE", "未知选项 {key}：应为 sha256=HEX、segments=K、limit=RATE、out=NAME、header=\"Name: value\"、referer=URL、user-agent=TEXT、mirror=URL 或 cookies=FILE";
    OptName: "out={name} is not a file name", "out={name} 不是有效的文件名";
    OptQuote: "a quote is not closed: {line}", "引号未闭合：{line}";
    HdrNoColon: "{line} is not a header: expected \"Name: value\"", "{line} 不是请求头：应为 \"Name: value\"";
    HdrName: "{name} is not a valid header name", "{name} 不是有效的请求头名称";
    HdrValue: "the value of {name} has a line break or a control character", "{name} 的值含有换行或控制字符";
    HdrOwn: "{name} is set by fanout itself and cannot be given", "{name} 由 fanout 自行设置，不能指定";
    OptSegments: "segments={value}: use 1 to {max} connections", "segments={value}：连接数应为 1 到 {max}";
    OptSha256: "{value} is not a SHA-256: expected 64 hex digits", "{value} 不是 SHA-256：应为 64 位十六进制数字";
    OptRate: "{value} is not a rate: write bytes per second, or a number with K, M or G", "{value} 不是速度：请写每秒字节数，或带 K、M、G 的数字";
    TooMany: "expands to {count} URLs, more than the limit of {cap}; split it into smaller ranges", "展开后有 {count} 个网址，超过上限 {cap}；请拆成更小的范围";

    // Table
    Resume: "Resume", "继续";
    Pause: "Pause", "暂停";
    Cancel: "Cancel", "取消";
    Retry: "Retry", "重试";
    OpenFile: "Open file", "打开文件";
    OpenFolder: "Open folder", "打开文件夹";
    More: "More", "更多";
    MoreHint: "More: open the folder, this download's own speed limit, its checksum", "更多：打开文件夹、此下载自己的限速、校验和";
    NoDownloads: "No downloads yet", "还没有下载";
    NoDownloadsHint: "Press Add URLs, or paste URLs with Ctrl+V.", "点“添加网址”，或按 Ctrl+V 粘贴网址。";
    ColProgress: "Progress", "进度";
    ColSpeed: "Speed", "速度";
    ColEta: "ETA", "剩余时间";
    ColState: "State", "状态";
    ColWorker: "Worker", "执行者";
    ColActions: "Actions", "操作";
    ConnectionsEach: "{n} connections, each for a part of the file", "{n} 个连接，各自下载文件的一部分";
    TaskSpeedLimitHint: "For this download alone, besides the global limit; 0 = none.", "只针对此下载，同时仍受全局限速约束；0 = 不限。";
    ShaToCheck: "SHA-256 to check: {hash}", "待校验的 SHA-256：{hash}";

    // Task states
    StQueued: "queued", "排队中";
    StRunning: "running", "下载中";
    StRetry: "retry {attempt}: {reason}", "第 {attempt} 次重试：{reason}";
    StPausing: "pausing…", "正在暂停…";
    StPaused: "paused", "已暂停";
    StCancelling: "cancelling…", "正在取消…";
    StDone: "done", "完成";
    StFailed: "failed: {reason}", "失败：{reason}";
    StFailedShort: "failed", "失败";
    StCancelled: "cancelled", "已取消";

    // Why a download failed (the engine's errors); {detail} is what the
    // server, the network library or the system said, as they said it.
    ErrInvalidUrl: "not a valid URL: {detail}", "不是有效的网址：{detail}";
    ErrScheme: "unsupported URL scheme {scheme}: only http and https can be downloaded", "不支持的网址协议 {scheme}：只能下载 http 和 https";
    ErrConnect: "could not connect: {detail}", "无法连接：{detail}";
    ErrTimeout: "timed out: {detail}", "超时：{detail}";
    ErrTls: "the server's certificate is not trusted: {detail}", "服务器的证书不受信任：{detail}";
    ErrRedirect: "redirect refused: {detail}", "拒绝重定向：{detail}";
    RedirTooMany: "more than {max} redirects", "重定向超过 {max} 次";
    RedirScheme: "redirect to a {scheme} URL", "重定向到 {scheme} 网址";
    RedirNoLocation: "HTTP {status} without a Location", "HTTP {status} 没有 Location";
    ErrInterrupted: "connection lost after {received} of {expected} bytes: {detail}", "连接中断，已收到 {received} / {expected} 字节：{detail}";
    ErrInterruptedUnknown: "connection lost after {received} bytes: {detail}", "连接中断，已收到 {received} 字节：{detail}";
    CauseServerClosed: "the server closed it", "服务器关闭了连接";
    ErrShortBody: "body too short: the server promised {expected} bytes and sent {received}", "内容不完整：服务器声明 {expected} 字节，只发来 {received} 字节";
    ErrLongBody: "body too long: the server promised {expected} bytes and sent more", "内容过长：服务器声明 {expected} 字节，却发来更多";
    ErrIo: "cannot write {path}: {detail}", "无法写入 {path}：{detail}";
    ErrBadRange: "bad answer to a range request: {detail}", "分段请求的应答有误：{detail}";
    RangeRefused: "the server refused the range from byte {offset} (416); starting over", "服务器拒绝了从第 {offset} 字节起的分段（416）；重新开始";
    RangeResume: "asked for the bytes from {from} on, got Content-Range {got}; starting over", "请求第 {from} 字节起的内容，收到 Content-Range {got}；重新开始";
    RangeUnasked: "206 to a request without a range", "未请求分段却收到 206";
    RangeSegment: "asked for bytes {from}-{last} of {total}, got Content-Range {got}", "请求 {total} 字节中的第 {from}-{last} 字节，收到 Content-Range {got}";
    RangeWholeBody: "asked for bytes {from}-{last}, got the whole file ({status})", "请求第 {from}-{last} 字节，收到整个文件（{status}）";
    RangeChanged: "the file changed on the server ({before} became {after}); starting over", "服务器上的文件已更改（{before} 变为 {after}）；重新开始";
    WordNone: "none", "无";
    NoValidator: "no validator", "无校验标识";
    ErrChecksum: "SHA-256 mismatch: expected {expected}, got {got}; the bytes are kept as {kept}", "SHA-256 不符：应为 {expected}，实为 {got}；已下载的内容保存为 {kept}";
    CookiesField: "Cookies file (optional)", "Cookie 文件（可选）";
    CookiesHint: "cookies.txt exported from the browser", "从浏览器导出的 cookies.txt";
    ErrCookieFile: "cannot use the cookies file: {detail}", "无法使用 Cookie 文件：{detail}";
    Network: "Network", "网络";
    AfterBatchLabel: "After a batch", "一批下载结束后";
    AfterNothing: "Nothing", "不做任何事";
    AfterRunCommand: "Run a command", "运行命令";
    AfterCommand: "Command", "命令";
    AfterCommandHint: "Run by the shell, with FANOUT_DONE, FANOUT_FAILED, FANOUT_CANCELLED, FANOUT_PAUSED, FANOUT_SECONDS and FANOUT_FOLDER set", "由 shell 运行，并设置 FANOUT_DONE、FANOUT_FAILED、FANOUT_CANCELLED、FANOUT_PAUSED、FANOUT_SECONDS 和 FANOUT_FOLDER";
    AfterSuspend: "Suspend", "睡眠";
    CountdownCancel: "Not now", "暂不";
    AfterPowerOff: "Power off", "关机";
    SuspendIn: "The downloads are done: this computer suspends in {secs} s.", "下载已完成：电脑将在 {secs} 秒后睡眠。";
    PowerOffIn: "The downloads are done: this computer powers off in {secs} s.", "下载已完成：电脑将在 {secs} 秒后关机。";
    LogindRefused: "The system did not suspend or power off: {e}", "系统未能睡眠或关机：{e}";
    AfterOnlyIfOk: "Only if nothing failed", "仅当没有失败时";
    AfterCommandFailed: "The after-batch command did not start: {e}", "批量结束后的命令未能启动：{e}";
    Keyboard: "Keyboard", "键盘";
    KeyboardHint: "The keyboard shortcuts", "键盘快捷键";
    KeyDelete: "Cancel the selected downloads (asks first)", "取消所选下载（先确认）";
    KeySpace: "Pause or resume the selected downloads", "暂停或继续所选下载";
    KeySelectAll: "Select every row shown", "选择显示的所有行";
    KeyOpenFolder: "Open the folder of the selected file", "打开所选文件所在文件夹";
    KeyAdd: "Add URLs", "添加网址";
    KeyFilter: "Filter the table by name or URL", "按名称或网址筛选表格";
    KeyEscape: "Close this, the question or the filter", "关闭此窗口、询问或筛选";
    Filter: "Filter", "筛选";
    FilterHint: "name or URL", "名称或网址";
    FilterClear: "Show every row", "显示所有行";
    ConfirmCancelTitle: "Cancel downloads", "取消下载";
    ConfirmCancel: "Cancel {n} downloads? Their partial files are removed.", "取消 {n} 个下载？其未完成的文件将被删除。";
    ConfirmCancelYes: "Cancel them", "取消下载";
    ConfirmCancelNo: "Keep them", "保留";
    RuleApplies: "Site rule: {rule}", "站点规则：{rule}";
    SiteRules: "Site rules", "站点规则";
    SiteRulesHint: "One [[rule]] per site, first match first: hosts = \"*.example.com\", then any of connections, limit, max_files, folder, proxy, headers, user_agent, user. Passwords are asked for at the first 401 and kept in the keyring.", "每个站点一个 [[rule]]，按顺序匹配：hosts = \"*.example.com\"，以及 connections、limit、max_files、folder、proxy、headers、user_agent、user 中任意项。密码在首次 401 时询问并保存在密钥环中。";
    SortByType: "Sort into folders by type", "按类型分入文件夹";
    SortByTypeHint: "Each finished file goes to a subfolder of the download folder: by its extension, then its type, else the last one. One line per folder: Folder: ext ext…", "完成的文件按扩展名（其次按类型）放入下载文件夹的子文件夹，否则放入最后一个。每行一个文件夹：文件夹: 扩展名 …";
    IfExistsLabel: "When the file exists", "文件已存在时";
    IfExistsRename: "Rename", "重命名";
    IfExistsSkip: "Skip", "跳过";
    IfExistsUpdate: "Update", "更新";
    IfExistsRenameHint: "Save the new one beside it as NAME (1)", "另存为 NAME (1)";
    IfExistsSkipHint: "Keep it and download nothing", "保留原文件，不下载";
    IfExistsUpdateHint: "Download it only if the server's copy changed, and replace it whole", "仅当服务器上的文件有变化时下载，并整体替换";
    Proxy: "Proxy", "代理";
    ProxySystemHint: "The environment's http_proxy, https_proxy and all_proxy; without them, the desktop's proxy settings", "环境变量 http_proxy、https_proxy、all_proxy；未设置时使用桌面的代理设置";
    ProxyAddress: "Address", "地址";
    ProxyUser: "User", "用户";
    ProxyPassword: "Password", "密码";
    NoProxyFor: "No proxy for", "不使用代理";
    NoProxyHint: "e.g. example.com, 10.0.0.0/8", "例如 example.com, 10.0.0.0/8";
    UseNetrc: "Logins from ~/.netrc", "使用 ~/.netrc 中的登录信息";
    UseNetrcHint: "For URLs without a user name, the login ~/.netrc has for their host, as curl --netrc reads it", "对没有用户名的网址，使用 ~/.netrc 中该主机的登录信息（与 curl --netrc 相同）";
    AllowPlainAuth: "Allow passwords over plain HTTP to the internet", "允许通过明文 HTTP 向互联网发送密码";
    AllowPlainAuthHint: "Off: a URL with a password over http:// to a public address fails instead of sending it unencrypted. This machine and private networks are always allowed.", "关闭时：通过 http:// 向公网地址发送带密码的网址会失败，而不会以明文发送。本机和私有网络始终允许。";
    SecretsInKeyring: "Passwords are kept in the system keyring", "密码保存在系统密钥环中";
    SecretsInFile: "No keyring: passwords are kept in a file only you can read", "没有密钥环：密码保存在只有你能读取的文件中";
    SavedLogins: "Saved logins", "已保存的登录";
    Forget: "Forget", "忘记";
    ProxyInUse: "Proxy: {proxy}", "代理：{proxy}";
    LoginTitle: "Log in", "登录";
    LoginFor: "{host} asks for a user name and password ({n} downloads).", "{host} 需要用户名和密码（{n} 个下载）。";
    LoginRemember: "Remember for this site", "为此网站记住";
    LoginRetry: "Log in and retry", "登录并重试";
    ProxySystem: "System", "系统";
    ProxyNone: "None", "不使用";
    ProxyNoAddress: "the proxy needs an address (host:port)", "代理需要地址（主机:端口）";
    ErrProxy: "the proxy {proxy} failed: {detail}", "代理 {proxy} 失败：{detail}";
    ErrPlainAuth: "not sent: the URL's user name and password would cross the internet unencrypted to {host} over plain HTTP; use https, or allow it in Settings", "未发送：网址中的用户名和密码将以明文 HTTP 经互联网发往 {host}；请使用 https，或在设置中允许";
    NoteRetry: "attempt {attempt} failed: {error}; trying again in {delay} s", "第 {attempt} 次尝试失败：{error}；{delay} 秒后重试";
    NoteFileChanged: "the file changed on the server ({before} became {after}); starting over", "服务器上的文件已更改（{before} 变为 {after}）；重新开始";
    NoteRangeIgnored: "the server ignored the range from byte {offset}; starting over", "服务器忽略了从第 {offset} 字节起的分段请求；重新开始";
    NoteRangeLied: "the server answered a range request wrongly: {what}; downloading over one connection instead", "服务器对分段请求的应答有误：{what}；改用单个连接下载";
    NoteVerified: "SHA-256 verified: {sha}", "SHA-256 校验通过：{sha}";
    NoteDowngraded: "redirected from HTTPS to HTTP: {to}", "已从 HTTPS 重定向到 HTTP：{to}";
    NoteMirror: "failed for good; trying the next URL of the file: {to}", "此网址已无法下载；改试该文件的下一个网址：{to}";
    NoteIgnored: "options not used by fanout: {options}", "fanout 未使用的选项：{options}";

    // Downloads from other programs (the RPC server)
    AcceptDownloads: "Accept downloads from other programs", "接受其他程序的下载";
    RpcHint: "An aria2-compatible JSON-RPC server: browser extensions (Aria2 Explorer, the Motrix extension), AriaNg and aria2 scripts can send downloads here. Give them this port and the secret.", "与 aria2 兼容的 JSON-RPC 服务：浏览器扩展（Aria2 Explorer、Motrix 扩展）、AriaNg 和 aria2 脚本可以把下载交给这里。请告诉它们此端口和密钥。";
    RpcPort: "Port", "端口";
    RpcListen: "Also on", "另外监听";
    RpcListenHint: "this machine only", "仅本机";
    RpcListenHelp: "Addresses besides this machine's own to serve (a LAN address), separated by commas. Every caller still needs the secret.", "除本机外还要监听的地址（如局域网地址），用逗号分隔。调用者仍需密钥。";
    RpcSecret: "Secret", "密钥";
    RpcSecretInKeyring: "kept in the system keyring", "保存在系统密钥环中";
    RpcSecretInFile: "kept in a file only you can read", "保存在只有你能读取的文件中";
    RpcSecretInFileWhy: "{path}\nThere is no system keyring to keep it in: {why}", "{path}\n没有可用的系统密钥环：{why}";
    Copy: "Copy", "复制";
    RpcSecretCopied: "The secret was copied to the clipboard.", "密钥已复制到剪贴板。";
    AskFirst: "Ask before downloads from other programs", "下载来自其他程序时先询问";
    AskFirstHint: "They arrive paused and are listed for you to start or remove.", "它们到达时处于暂停状态，并列出供你开始或移除。";
    RpcServing: "other programs: port {port}", "其他程序：端口 {port}";
    RpcWaitingForSecret: "other programs: waiting for the keyring…", "其他程序：正在等待密钥环…";
    RpcNotServing: "not accepting downloads from other programs: {e}", "未接受其他程序的下载：{e}";
    RpcNoSecret: "no secret for other programs: {e}", "无法为其他程序生成密钥：{e}";
    RpcBadAddress: "{addr} is not an address to listen on", "{addr} 不是可监听的地址";
    ArrivedTitle: "Downloads from other programs", "来自其他程序的下载";
    ArrivedBody: "{n} downloads arrived paused:", "{n} 个下载已到达，处于暂停状态：";
    ArrivedStart: "Start them", "开始下载";
    ArrivedRemove: "Remove them", "移除";

    // Timeline
    TimelineEmpty: "The timeline shows the current batch once a download starts.", "下载开始后，这里显示当前这一批的时间线。";
    TimelineSummary: "tasks: {tasks}, lanes: {lanes}, time: {secs} s, most at once: {peak}", "任务：{tasks}，通道：{lanes}，用时：{secs} 秒，最多同时：{peak}";
    TimeAxis: "time (s)", "时间（秒）";
    BarHover: "#{index} {name}\n{state}\n{start} s → {end} s ({secs} s), {bytes}\non {lane}", "#{index} {name}\n{state}\n{start} 秒 → {end} 秒（{secs} 秒），{bytes}\n执行者 {lane}";

    // Comparison
    CompareIntro: "Runs the URLs of the list once under each engine, one engine after another, and compares them, like the note's \"Total use N seconds\".", "把列表中的网址在每个引擎下各运行一次，一个引擎接一个引擎，然后进行对比，就像笔记里的“Total use N seconds”。";
    CompareUrls: "{n} URLs from the list", "列表中的 {n} 个网址";
    CompareRun: "Run comparison", "开始对比";
    CompareStop: "Stop", "停止";
    CompareScratch: "Into a scratch folder, removed afterwards", "存入临时文件夹，结束后删除";
    CompareKeep: "Into the download folder (kept)", "存入下载文件夹（保留）";
    CompareRunning: "Running {engine}: {ended} of {of} done", "正在运行“{engine}”引擎：已完成 {ended}/{of}";
    CompareBusy: "Wait for the downloads that run now: they would share the network with the comparison and skew it.", "请等正在进行的下载结束：它们会与对比争用网络，使结果失真。";
    CompareNeedsUrls: "Add URLs to the list first: the comparison runs them under each engine.", "请先向列表添加网址：对比会在每个引擎下运行它们。";
    CompareStopped: "The comparison stopped: {e}", "对比已停止：{e}";
    CompareEmpty: "the list is empty", "列表为空";
    CompareCancelled: "stopped by the user", "被用户停止";
    CompareFolder: "cannot make the folder {path}: {e}", "无法创建文件夹 {path}：{e}";
    TotalTime: "Total time (s)", "总用时（秒）";
    PeakInFlight: "Peak in flight", "最大并发";
    Throughput: "Throughput (MB/s)", "吞吐量（MB/s）";
    CompletionOrder: "Completion order", "完成顺序";
    StripHover: "finished #{rank}: task #{index}", "第 {rank} 个完成：任务 #{index}";
    TotalUse: "{engine}: total use {secs} seconds, {ok} saved, {failed} failed", "{engine}：总用时 {secs} 秒，{ok} 个已保存，{failed} 个失败";
    ExportPng: "Save as PNG", "保存为 PNG";
    ExportCsv: "Save as CSV", "保存为 CSV";

    // Notification
    NotifyTitle: "fanout: downloads finished", "fanout：下载完成";
    NotifyBody: "{done} saved, {failed} failed, {cancelled} cancelled, in {secs} s", "{done} 个已保存，{failed} 个失败，{cancelled} 个已取消，用时 {secs} 秒";
    NotifyBodyPaused: "{done} saved, {failed} failed, {cancelled} cancelled, {paused} paused, in {secs} s", "{done} 个已保存，{failed} 个失败，{cancelled} 个已取消，{paused} 个暂停，用时 {secs} 秒";
}

/// The text of `key` in this thread's language.
pub fn t(key: T) -> &'static str {
    key.text(lang())
}

/// The text of `key` with each `{name}` replaced by its value.
pub fn fill(key: T, args: &[(&str, &dyn Display)]) -> String {
    let mut out = t(key).to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// `tr!(Key)` is the text; `tr!(Key, n = 5, path = p.display())` fills it.
macro_rules! tr {
    ($key:ident) => {
        $crate::gui::i18n::t($crate::gui::i18n::T::$key)
    };
    ($key:ident, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::gui::i18n::fill(
            $crate::gui::i18n::T::$key,
            &[$((stringify!($name), &$value as &dyn std::fmt::Display)),+],
        )
    };
}
pub(crate) use tr;

/// English's one/many, by count; Chinese has one form for both.
pub fn plural(n: impl Into<u128>, one: T, many: T) -> String {
    let n = n.into();
    fill(if n == 1 { one } else { many }, &[("n", &n)])
}

/// Why a download failed, in this thread's language.
pub fn error(e: &FetchError) -> String {
    match e {
        FetchError::InvalidUrl(detail) => tr!(ErrInvalidUrl, detail = detail),
        FetchError::UnsupportedScheme(scheme) => tr!(ErrScheme, scheme = format!("{scheme:?}")),
        FetchError::Http { status, reason } => format!("HTTP {status} {reason}"),
        FetchError::Connect(detail) => tr!(ErrConnect, detail = detail),
        FetchError::Timeout(detail) => tr!(ErrTimeout, detail = detail),
        FetchError::Tls(detail) => tr!(ErrTls, detail = detail),
        FetchError::Redirect(r) => tr!(ErrRedirect, detail = redirect(r)),
        FetchError::Interrupted {
            received,
            expected,
            cause,
        } => {
            let detail = cause
                .clone()
                .unwrap_or_else(|| tr!(CauseServerClosed).to_string());
            match expected {
                Some(expected) => tr!(
                    ErrInterrupted,
                    received = received,
                    expected = expected,
                    detail = detail
                ),
                None => tr!(ErrInterruptedUnknown, received = received, detail = detail),
            }
        }
        FetchError::ShortBody { received, expected } => {
            tr!(ErrShortBody, received = received, expected = expected)
        }
        FetchError::LongBody { expected } => tr!(ErrLongBody, expected = expected),
        FetchError::Transport(detail) | FetchError::Remote(detail) => detail.clone(),
        FetchError::CookieFile(detail) => tr!(ErrCookieFile, detail = detail),
        FetchError::Proxy { proxy, reason } => tr!(ErrProxy, proxy = proxy, detail = reason),
        FetchError::PlainAuth { host } => tr!(ErrPlainAuth, host = host),
        FetchError::Io { path, detail, .. } => tr!(ErrIo, path = path.display(), detail = detail),
        FetchError::BadRange(r) => tr!(ErrBadRange, detail = range(r)),
        FetchError::Checksum { expected, got, kept } => {
            tr!(ErrChecksum, expected = expected, got = got, kept = kept.display())
        }
        FetchError::Cancelled => tr!(StCancelled).to_string(),
    }
}

/// A line of a task's log, in this thread's language.
pub fn note(n: &Note) -> String {
    match n {
        Note::Retry {
            attempt,
            error: e,
            delay,
        } => tr!(
            NoteRetry,
            attempt = attempt,
            error = error(e),
            delay = format!("{:.1}", delay.as_secs_f64())
        ),
        Note::FileChanged { before, after } => tr!(NoteFileChanged, before = before, after = after),
        Note::RangeIgnored { offset } => tr!(NoteRangeIgnored, offset = offset),
        Note::RangeLied(what) => tr!(NoteRangeLied, what = range(what)),
        Note::Verified { sha256 } => tr!(NoteVerified, sha = sha256),
        Note::Downgraded { to } => tr!(NoteDowngraded, to = to),
        Note::Mirror { to } => tr!(NoteMirror, to = to),
        Note::Ignored { options } => tr!(NoteIgnored, options = options.join(", ")),
    }
}

fn redirect(r: &RedirectError) -> String {
    match r {
        RedirectError::TooMany { max } => tr!(RedirTooMany, max = max),
        RedirectError::Scheme(scheme) => tr!(RedirScheme, scheme = format!("{scheme:?}")),
        RedirectError::NoLocation { status } => tr!(RedirNoLocation, status = status),
    }
}

fn range(r: &RangeError) -> String {
    let got = |g: &Option<String>| g.clone().unwrap_or_else(|| tr!(WordNone).to_string());
    match r {
        RangeError::Refused { offset } => tr!(RangeRefused, offset = offset),
        RangeError::Resume { from, got: g } => tr!(RangeResume, from = from, got = got(g)),
        RangeError::Unasked => tr!(RangeUnasked).to_string(),
        RangeError::Segment {
            from,
            last,
            total,
            got: g,
        } => tr!(
            RangeSegment,
            from = from,
            last = last,
            total = total,
            got = got(g)
        ),
        RangeError::WholeBody { from, last, status } => {
            tr!(RangeWholeBody, from = from, last = last, status = status)
        }
        RangeError::Changed { before, after } => tr!(
            RangeChanged,
            before = before,
            after = after.clone().unwrap_or_else(|| tr!(NoValidator).to_string())
        ),
    }
}

pub fn option_error(e: &OptionError) -> String {
    match e {
        OptionError::NotAnOption(word) => tr!(OptNotAnOption, word = format!("{word:?}")),
        OptionError::Unknown(key) => tr!(OptUnknown, key = format!("{key:?}")),
        OptionError::Segments(value) => tr!(OptSegments, value = value, max = EngineConfig::MAX_SEGMENTS),
        OptionError::Sha256(value) => tr!(OptSha256, value = format!("{value:?}")),
        OptionError::Rate(value) => tr!(OptRate, value = format!("{value:?}")),
        OptionError::Name(name) => tr!(OptName, name = format!("{name:?}")),
        OptionError::Quote(line) => tr!(OptQuote, line = line),
        OptionError::Header(HeaderError::NoColon(line)) => tr!(HdrNoColon, line = format!("{line:?}")),
        OptionError::Header(HeaderError::Name(name)) => tr!(HdrName, name = format!("{name:?}")),
        OptionError::Header(HeaderError::Value(name)) => tr!(HdrValue, name = name),
        OptionError::Header(HeaderError::Own(name)) => tr!(HdrOwn, name = name),
    }
}

pub fn pattern_error(e: &PatternError) -> String {
    match e {
        PatternError::Backwards { group, from, to } => {
            tr!(RangeBackwards, group = group, from = from, to = to)
        }
        PatternError::ZeroStep { group } => tr!(RangeZeroStep, group = group),
        PatternError::TooLarge { group, value } => tr!(RangeTooLarge, group = group, value = value),
        PatternError::TooMany { count, cap } => tr!(TooMany, count = count, cap = cap),
    }
}

pub fn compare_error(e: &CompareError) -> String {
    match e {
        CompareError::Empty => tr!(CompareEmpty).to_string(),
        CompareError::Stopped => tr!(CompareCancelled).to_string(),
        CompareError::Folder(path, e) => tr!(CompareFolder, path = path, e = e),
        CompareError::Engine(e) => tr!(EngineDidNotStart, e = e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The `{name}`s of a text.
    fn placeholders(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            out.insert(rest[open + 1..open + close].to_string());
            rest = &rest[open + close + 1..];
        }
        out
    }

    fn is_cjk(c: char) -> bool {
        ('\u{4e00}'..='\u{9fff}').contains(&c)
    }

    #[test]
    fn every_text_has_both_languages_with_the_same_placeholders() {
        for &key in T::ALL {
            let (en, zh) = (key.text(Lang::En), key.text(Lang::Zh));
            assert!(!en.trim().is_empty() && !zh.trim().is_empty(), "{key:?} is empty");
            assert_eq!(
                placeholders(en),
                placeholders(zh),
                "{key:?}: the placeholders differ"
            );
            // Words to translate: the English, without its placeholders and
            // the names of programs, must have become Chinese.
            assert!(zh.chars().any(is_cjk), "{key:?} is not translated: {zh:?}");
            assert_ne!(en, zh, "{key:?}");
        }
    }

    #[test]
    fn every_chinese_character_is_in_the_bundled_font() {
        let font = include_bytes!("../../assets/fonts/NotoSansSC-subset.otf");
        let face = ttf_parser::Face::parse(font, 0).expect("the bundled font parses");
        let mut missing = BTreeSet::new();
        for &key in T::ALL {
            for c in key.text(Lang::Zh).chars().filter(|c| !c.is_ascii()) {
                if face.glyph_index(c).is_none() {
                    missing.insert(c);
                }
            }
        }
        for c in Lang::Zh.name().chars() {
            assert!(face.glyph_index(c).is_some(), "{c}");
        }
        assert!(missing.is_empty(), "no glyph for {missing:?}");
    }

    #[test]
    fn values_are_filled_by_name_in_each_language_s_word_order() {
        set(Lang::En);
        assert_eq!(tr!(LineReason, line = 3, why = "x"), "line 3: x");
        assert_eq!(plural(1u32, T::UrlToAdd, T::UrlsToAdd), "1 URL to add");
        assert_eq!(plural(2u32, T::UrlToAdd, T::UrlsToAdd), "2 URLs to add");
        set(Lang::Zh);
        assert_eq!(tr!(LineReason, line = 3, why = "x"), "第 3 行：x");
        assert_eq!(error(&FetchError::Timeout("read".into())), "超时：read");
        set(Lang::En);
        // The English of the engine's errors is what the CLI prints.
        let e = FetchError::ShortBody {
            received: 1,
            expected: 2,
        };
        assert_eq!(error(&e), e.to_string());
    }

    /// The window's English for the engine's errors and notes, the list
    /// options and the patterns is the English `fanout get` prints.
    #[test]
    fn the_english_texts_of_typed_errors_are_the_cli_s() {
        set(Lang::En);
        let errors = [
            FetchError::InvalidUrl("x".into()),
            FetchError::UnsupportedScheme("ftp".into()),
            FetchError::Http {
                status: 404,
                reason: "Not Found".into(),
            },
            FetchError::Connect("refused".into()),
            FetchError::Timeout("read".into()),
            FetchError::Tls("UnknownIssuer".into()),
            FetchError::Redirect(RedirectError::TooMany { max: 10 }),
            FetchError::Redirect(RedirectError::Scheme("file".into())),
            FetchError::Redirect(RedirectError::NoLocation { status: 302 }),
            FetchError::Interrupted {
                received: 1,
                expected: Some(2),
                cause: Some("reset".into()),
            },
            FetchError::Interrupted {
                received: 1,
                expected: None,
                cause: None,
            },
            FetchError::ShortBody {
                received: 1,
                expected: 2,
            },
            FetchError::LongBody { expected: 2 },
            FetchError::Transport("t".into()),
            FetchError::Io {
                path: "/p".into(),
                kind: std::io::ErrorKind::StorageFull,
                detail: "full".into(),
            },
            RangeError::Refused { offset: 5 }.into(),
            RangeError::Resume { from: 5, got: None }.into(),
            RangeError::Unasked.into(),
            RangeError::Segment {
                from: 0,
                last: 9,
                total: 20,
                got: Some("bytes 0-19/20".into()),
            }
            .into(),
            RangeError::WholeBody {
                from: 0,
                last: 9,
                status: 200,
            }
            .into(),
            RangeError::Changed {
                before: "a".into(),
                after: None,
            }
            .into(),
            FetchError::Checksum {
                expected: "a".into(),
                got: "b".into(),
                kept: "k".into(),
            },
            FetchError::Remote("aria2 error 1".into()),
            FetchError::Cancelled,
        ];
        for e in &errors {
            assert_eq!(error(e), e.to_string());
        }
        let notes = [
            Note::Retry {
                attempt: 2,
                error: FetchError::Timeout("read".into()),
                delay: std::time::Duration::from_millis(1500),
            },
            Note::FileChanged {
                before: "a".into(),
                after: "b".into(),
            },
            Note::RangeIgnored { offset: 5 },
            Note::RangeLied(RangeError::Unasked),
            Note::Verified { sha256: "ab".into() },
            Note::Downgraded {
                to: "http://h/".into(),
            },
            Note::Mirror {
                to: "http://m/".into(),
            },
            Note::Ignored {
                options: vec!["seed-time".into(), "bt-tracker".into()],
            },
        ];
        for n in &notes {
            assert_eq!(note(n), n.to_string());
        }
        for e in [
            OptionError::NotAnOption("x".into()),
            OptionError::Unknown("k".into()),
            OptionError::Segments("99".into()),
            OptionError::Sha256("zz".into()),
            OptionError::Rate("fast".into()),
            OptionError::Name("..".into()),
            OptionError::Quote("u a=\"b".into()),
            OptionError::Header(HeaderError::NoColon("x".into())),
            OptionError::Header(HeaderError::Name("a b".into())),
            OptionError::Header(HeaderError::Value("x-a".into())),
            OptionError::Header(HeaderError::Own("range".into())),
        ] {
            assert_eq!(option_error(&e), e.to_string());
        }
        for e in [
            PatternError::Backwards {
                group: "5-1".into(),
                from: 5,
                to: 1,
            },
            PatternError::ZeroStep {
                group: "1-5:0".into(),
            },
            PatternError::TooLarge {
                group: "1-99999999999999999999".into(),
                value: "99999999999999999999".into(),
            },
            PatternError::TooMany {
                count: 20000,
                cap: 10000,
            },
        ] {
            assert_eq!(pattern_error(&e), e.to_string());
        }
    }

    /// No English sentence is written into the window's code past the
    /// catalogue: every string literal of `src/gui` with two words in a row
    /// must be an id, a log line or a test's.
    #[test]
    fn the_window_code_has_no_words_outside_the_catalogue() {
        let files = [
            ("mod.rs", include_str!("mod.rs")),
            ("add.rs", include_str!("add.rs")),
            ("compare.rs", include_str!("compare.rs")),
            ("model.rs", include_str!("model.rs")),
            ("settings.rs", include_str!("settings.rs")),
            ("table.rs", include_str!("table.rs")),
            ("timeline.rs", include_str!("timeline.rs")),
        ];
        // What may precede a literal that is not shown to the user.
        let allowed = [
            "id_salt(",
            "Grid::new(",
            "expect(",
            "tracing::",
            "ScrollArea",
            ".name(",
        ];
        let mut found = Vec::new();
        for (file, source) in files {
            let code = source.split("#[cfg(test)]").next().unwrap_or(source);
            for (at, literal) in literals(code) {
                // Values in a format string are not words to translate.
                let mut text = literal.clone();
                for name in placeholders(&literal) {
                    text = text.replace(&format!("{{{name}}}"), "");
                }
                let words = text
                    .split(|c: char| !c.is_ascii_alphabetic())
                    .filter(|w| w.len() >= 2)
                    .count();
                let has_space = text.trim().contains(' ');
                let before = &code[at.saturating_sub(60)..at];
                let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                let context = &before[line_start..];
                if words >= 2 && has_space && !allowed.iter().any(|a| context.contains(a)) {
                    found.push(format!("{file}: {literal:?}"));
                }
            }
        }
        assert!(found.is_empty(), "put these in the catalogue: {found:#?}");
    }

    /// The string literals of Rust code (plain and raw), with where each
    /// starts, skipping comments and char literals.
    fn literals(code: &str) -> Vec<(usize, String)> {
        let b = code.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'\'' => {
                    // A char literal ('x', '\n', '"') or a lifetime ('a).
                    if b.get(i + 2) == Some(&b'\'') {
                        i += 3;
                    } else if b.get(i + 1) == Some(&b'\\') {
                        i += 4;
                    } else {
                        i += 1;
                    }
                }
                b'"' => {
                    let start = i;
                    i += 1;
                    let mut s = Vec::new();
                    while i < b.len() && b[i] != b'"' {
                        if b[i] == b'\\' {
                            i += 1;
                        }
                        s.push(b[i]);
                        i += 1;
                    }
                    out.push((start, String::from_utf8_lossy(&s).into_owned()));
                    i += 1;
                }
                _ => i += 1,
            }
        }
        out
    }

    #[test]
    fn chinese_locales_in_simplified_script_choose_chinese() {
        for l in ["zh_CN.UTF-8", "zh-CN", "zh", "zh-Hans-SG", "zh_SG"] {
            assert_eq!(Lang::from_locale(l), Lang::Zh, "{l}");
        }
        for l in ["en_US.UTF-8", "C", "", "zh_TW.UTF-8", "zh-Hant-HK", "de-DE"] {
            assert_eq!(Lang::from_locale(l), Lang::En, "{l}");
        }
    }
}
