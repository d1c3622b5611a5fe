"""A small labelled corpus for relevance tests: 40 help-desk articles (Chinese, English, or both, as real desks
write them) and queries phrased the way people type them, each with the article that should come up."""

from __future__ import annotations

# key: (title, summary, body, tags, audience)
ARTICLES: dict[str, tuple[str, str, str, str, str]] = {
    "vpn": (
        "VPN 连接失败怎么办 / VPN cannot connect",
        "先确认外网正常，再重新登录 VPN 客户端。",
        "1. 确认网络正常，能打开外部网站。\n2. 客户端版本不低于 5.2。\n3. 提示“认证失败”时，在门户续期 VPN 证书。\n\n"
        "If the VPN client says authentication failed, renew the certificate on the portal and sign in again.",
        "VPN, 远程办公",
        "public",
    ),
    "password_reset": (
        "重置域账号密码 / Reset your domain password",
        "在自助门户用手机验证码重置密码。",
        "忘记密码或密码过期时，打开自助门户，输入工号并用手机验证码重置。新密码至少 12 位。\n\n"
        "Forgot your password? Open the self-service portal, enter your staff number and reset it with the SMS code.",
        "密码, password",
        "public",
    ),
    "printer_jam": (
        "打印机卡纸处理 / Clearing a printer paper jam",
        "关机，打开前盖，顺着走纸方向取出纸张。",
        "打印机提示卡纸时：先关闭电源，打开前盖和后盖，顺着走纸方向慢慢取出卡住的纸，不要硬拽。\n\n"
        "When the printer reports a paper jam, switch it off, open the covers and pull the jammed sheet out gently.",
        "打印机, printer",
        "public",
    ),
    "printer_driver": (
        "安装网络打印机驱动 / Install a network printer driver",
        "从软件中心安装所在楼层的打印机。",
        "在软件中心搜索楼层打印机，点击安装即可自动下载驱动并添加打印机。\n\n"
        "Open Software Center, search for your floor's printer and install it; the driver is added automatically.",
        "打印机, driver",
        "public",
    ),
    "wifi": (
        "无线网络连不上 / Wi-Fi will not connect",
        "选择 CORP-WIFI，用域账号登录。",
        "公司无线网络名称为 CORP-WIFI，使用域账号和密码登录。访客请连接 GUEST 网络并在前台领取验证码。\n\n"
        "Choose CORP-WIFI and sign in with your domain account. Guests use the GUEST wireless network.",
        "Wi-Fi, 无线网",
        "public",
    ),
    "email_outlook": (
        "Outlook 无法收发邮件 / Outlook cannot send or receive mail",
        "检查脱机模式，重启 Outlook。",
        "Outlook 收不到或发不出邮件：检查是否处于脱机工作模式，关闭后重启 Outlook，仍不行请重建配置文件。\n\n"
        "If Outlook stops sending or receiving email, turn off Work Offline and restart it; rebuild the profile last.",
        "邮件, email, Outlook",
        "public",
    ),
    "mailbox_full": (
        "邮箱容量已满 / Your mailbox is full",
        "归档旧邮件，清空已删除邮件。",
        "邮箱空间满了会无法接收新邮件。请归档一年前的邮件并清空“已删除邮件”文件夹。\n\n"
        "A full mailbox stops new mail. Archive old messages and empty Deleted Items to free quota.",
        "邮箱, mailbox, quota",
        "public",
    ),
    "bluescreen": (
        "电脑蓝屏死机 / Blue screen crash",
        "记下错误代码后重启，反复出现请报修。",
        "电脑蓝屏时请拍下屏幕上的错误代码，然后重启。如果反复蓝屏，可能是驱动或内存故障，请报修。\n\n"
        "After a blue screen (BSOD), note the stop code and restart. Repeated crashes mean a driver or memory fault.",
        "蓝屏, BSOD",
        "public",
    ),
    "slow_pc": (
        "电脑运行很慢 / My computer is slow",
        "重启电脑，关闭不用的程序，检查磁盘空间。",
        "电脑卡顿、运行慢：先重启，关闭开机自启的程序，确认 C 盘剩余空间大于 10 GB。\n\n"
        "A slow computer: restart it, close programs you do not use and keep 10 GB free on the system disk.",
        "性能, performance",
        "public",
    ),
    "projector": (
        "会议室投影仪没有信号 / Meeting room projector shows no signal",
        "检查 HDMI 线，按 Win+P 选择复制。",
        "投影仪显示无信号：确认 HDMI 线插好，在笔记本上按 Win+P 选择“复制”，并把投影仪信号源切到 HDMI1。\n\n"
        "Projector says no signal? Check the HDMI cable, press Win+P and choose Duplicate, then select HDMI1.",
        "投影仪, 会议室",
        "public",
    ),
    "monitor": (
        "外接显示器不亮 / Second monitor not detected",
        "检查视频线和扩展坞，重新检测显示器。",
        "外接显示器黑屏或检测不到：检查视频线和扩展坞电源，在显示设置中点击“检测”。\n\n"
        "If the external monitor is not detected, reseat the cable and dock, then click Detect in Display settings.",
        "显示器, monitor, dock",
        "public",
    ),
    "shared_drive": (
        "共享盘无法访问 / Cannot access the shared drive",
        "确认已连接内网，重新映射 S 盘。",
        "共享盘打不开：确认已连接内网或 VPN，然后在文件资源管理器中重新映射 S: 盘。没有权限请申请。\n\n"
        "The shared drive (S:) needs the internal network or VPN; map it again in File Explorer or request access.",
        "共享盘, file share",
        "public",
    ),
    "account_locked": (
        "域账号被锁定 / Account locked out",
        "等待 15 分钟自动解锁，或致电服务台。",
        "连续输错密码 5 次账号会被锁定，15 分钟后自动解锁。着急请致电服务台核实身份后解锁。\n\n"
        "Five wrong passwords lock the account for 15 minutes; call the service desk to unlock it sooner.",
        "账号, locked",
        "public",
    ),
    "mfa": (
        "设置两步验证 / Set up two-factor authentication",
        "在手机上安装认证器应用并扫描二维码。",
        "两步验证（多因素认证）可以保护账号。在手机上安装认证器应用，登录门户扫描二维码完成绑定。\n\n"
        "Install the authenticator app on your phone and scan the QR code on the portal to enable MFA.",
        "MFA, 安全",
        "public",
    ),
    "phishing": (
        "收到可疑的钓鱼邮件 / Report a phishing email",
        "不要点击链接，使用“报告钓鱼”按钮。",
        "收到要求输入密码或点击链接的可疑邮件时，不要点击，使用 Outlook 中的“报告钓鱼”按钮。\n\n"
        "Do not click links in a suspicious email; use the Report Phishing button in Outlook.",
        "安全, phishing",
        "public",
    ),
    "virus": (
        "电脑中病毒或弹出杀毒警告 / Malware or antivirus alert",
        "断开网络，不要关机，立即联系服务台。",
        "杀毒软件报警或怀疑中毒时，请立即拔掉网线、断开无线，保持开机并联系服务台。\n\n"
        "On an antivirus alert, disconnect from the network, leave the computer on and call the service desk.",
        "病毒, malware, security",
        "public",
    ),
    "erp_login": (
        "ERP 登录报错 / ERP login error",
        "清除浏览器缓存，使用 Chrome 登录。",
        "ERP 系统登录时报“会话过期”：清除浏览器缓存，使用 Chrome 最新版本重新登录。\n\n"
        "If ERP says session expired at login, clear the browser cache and sign in with an up-to-date Chrome.",
        "ERP",
        "public",
    ),
    "expense": (
        "报销单提交失败 / Expense claim fails to submit",
        "检查发票附件大小不超过 5 MB。",
        "报销系统提交时报错，通常是发票附件超过 5 MB 或格式不是 PDF/JPG。压缩后重新上传。\n\n"
        "Expense claims fail when an invoice attachment is over 5 MB; compress it and upload again.",
        "报销, expense",
        "public",
    ),
    "attendance": (
        "考勤打卡异常 / Attendance clock-in problem",
        "确认定位权限已开启，在公司网络下打卡。",
        "手机考勤打卡失败：开启定位权限，连接公司无线网络后再打卡。漏打卡请在系统中提交补卡申请。\n\n"
        "Clock-in fails without location permission; connect to the office Wi-Fi and try again, or file a correction.",
        "考勤, attendance",
        "public",
    ),
    "wechat_work": (
        "企业微信无法登录 / WeCom login fails",
        "更新到最新版本，用手机号验证码登录。",
        "企业微信提示账号异常或登录不了：升级到最新版本，使用绑定的手机号和验证码登录。\n\n"
        "If WeCom will not sign in, update the app and log in with your registered mobile number.",
        "企业微信, WeCom",
        "public",
    ),
    "software_install": (
        "申请安装软件 / Request a software installation",
        "在软件中心自助安装；不在列表的软件提交服务请求。",
        "常用软件可以在软件中心自助安装。需要的软件不在列表中时，请提交服务请求并写明用途。\n\n"
        "Install common software from Software Center; request anything else with a service request.",
        "软件, software",
        "public",
    ),
    "office_activation": (
        "Office 激活失败 / Office activation failed",
        "用公司邮箱登录 Office 重新激活。",
        "Office 提示未激活或产品激活失败：在任一 Office 程序中注销后用公司邮箱重新登录激活。\n\n"
        "When Office says product activation failed, sign out and sign in again with your company email.",
        "Office",
        "public",
    ),
    "excel_crash": (
        "Excel 打开文件崩溃 / Excel crashes when opening a file",
        "以安全模式启动 Excel，禁用加载项。",
        "Excel 打开某个文件就闪退：按住 Ctrl 启动进入安全模式，禁用 COM 加载项后再打开。\n\n"
        "If Excel crashes opening a workbook, start it in safe mode (hold Ctrl) and disable add-ins.",
        "Excel, Office",
        "public",
    ),
    "meeting_audio": (
        "视频会议没有声音 / No audio in video meetings",
        "检查会议软件中选择的扬声器和麦克风。",
        "开会时听不到声音或对方听不到你：在会议软件的音频设置中选择正确的扬声器和麦克风，检查耳机静音键。\n\n"
        "No sound in a video call? Pick the right speaker and microphone in the meeting app's audio settings.",
        "会议, audio",
        "public",
    ),
    "laptop_battery": (
        "笔记本电池不充电 / Laptop battery not charging",
        "换一个插座和电源适配器试试。",
        "笔记本插上电源不充电：检查适配器指示灯，换插座；电池健康度低于 50% 可申请更换。\n\n"
        "If the laptop battery is not charging, try another socket and adapter; worn batteries are replaced.",
        "笔记本, battery",
        "public",
    ),
    "laptop_boot": (
        "笔记本开不了机 / Laptop will not power on",
        "长按电源键 15 秒后重新开机。",
        "笔记本按电源键没反应、开不了机：接上电源，长按电源键 15 秒释放静电后再开机。\n\n"
        "Laptop will not start? Connect power and hold the power button for 15 seconds, then try again.",
        "笔记本, boot",
        "public",
    ),
    "keyboard": (
        "键盘鼠标失灵 / Keyboard or mouse not working",
        "重新插拔接收器或更换电池。",
        "无线键盘鼠标没反应：更换电池，重新插拔 USB 接收器；有线的换一个 USB 接口。\n\n"
        "Wireless keyboard or mouse stopped working: replace the batteries and replug the USB receiver.",
        "外设, keyboard, mouse",
        "public",
    ),
    "new_employee": (
        "新员工入职开通账号 / Accounts for a new employee",
        "人事提交入职单后自动开通域账号和邮箱。",
        "新员工入职前，人事在 HR 系统提交入职单，IT 会自动开通域账号、邮箱和企业微信。\n\n"
        "Onboarding: HR submits the new-hire form and IT creates the domain account, mailbox and WeCom user.",
        "入职, onboarding",
        "public",
    ),
    "access_rights": (
        "申请系统访问权限 / Request access rights to a system",
        "通过权限申请流程，由部门经理审批。",
        "需要访问某个业务系统或文件夹时，提交权限申请，部门经理审批后自动授权。\n\n"
        "Request access to a business system or folder; your manager approves and access is granted automatically.",
        "权限, access",
        "public",
    ),
    "backup_restore": (
        "恢复误删的文件 / Restore a deleted file",
        "共享盘文件可从“以前的版本”恢复。",
        "误删共享盘上的文件：右键文件夹选择“还原以前的版本”。个人电脑上的文件请先检查回收站。\n\n"
        "Deleted a file on the share? Right-click the folder and choose Restore previous versions.",
        "备份, backup",
        "public",
    ),
    "internet_slow": (
        "上网很慢 / The internet is slow",
        "测速后把结果附在报障中。",
        "网速很慢时请先在测速页面测试，关闭大文件下载，然后把测速结果截图附在报障中。\n\n"
        "If browsing is slow, run the speed test page and attach the result when you report it.",
        "网络, internet",
        "public",
    ),
    "ip_conflict": (
        "提示 IP 地址冲突 / IP address conflict",
        "执行 ipconfig /renew 重新获取地址。",
        "电脑提示 IP 地址冲突：打开命令提示符执行 ipconfig /release 和 ipconfig /renew。\n\n"
        "Windows reports an IP address conflict: run ipconfig /release then ipconfig /renew.",
        "网络, IP",
        "public",
    ),
    "dns": (
        "网页打不开但聊天软件正常 / Websites do not load but chat works",
        "刷新 DNS 缓存：ipconfig /flushdns。",
        "能聊天但打不开网页，多半是域名解析（DNS）问题：执行 ipconfig /flushdns 后重试。\n\n"
        "Chat works but web pages do not open: flush the DNS cache with ipconfig /flushdns.",
        "网络, DNS",
        "public",
    ),
    "scanner": (
        "扫描到邮箱 / Scan to email",
        "在复印机屏幕上选择“扫描到邮件”并刷卡。",
        "在多功能复印机上刷工卡，选择“扫描到邮件”，文件会发送到你的公司邮箱。\n\n"
        "Badge in at the multifunction copier, choose Scan to Email and the scan arrives in your mailbox.",
        "扫描仪, scanner",
        "public",
    ),
    "copier_quota": (
        "复印额度用完 / Copier print quota used up",
        "部门经理可在门户申请增加额度。",
        "每月打印复印额度用完后无法继续打印，部门经理可在门户申请增加本月额度。\n\n"
        "When the monthly copy and print quota runs out, your manager can raise it on the portal.",
        "复印机, quota",
        "public",
    ),
    "desk_phone": (
        "座机没有拨号音 / Desk phone has no dial tone",
        "检查网线是否插在电话的 LAN 口。",
        "桌面电话没有声音、没有拨号音：确认网线插在电话背面的 LAN 口，重启电话。\n\n"
        "IP desk phone has no dial tone: check the network cable is in the LAN port and restart the phone.",
        "电话, phone",
        "public",
    ),
    "cert_expired": (
        "浏览器提示证书过期 / Browser warns the certificate has expired",
        "检查电脑时间是否正确。",
        "访问内部网站提示证书过期或不安全：先检查电脑日期和时间是否正确，再清除浏览器缓存。\n\n"
        "An expired certificate warning on an internal site is often a wrong clock: fix the date and time.",
        "证书, certificate",
        "public",
    ),
    "windows_update": (
        "系统更新失败 / Windows Update fails",
        "重启后再次检查更新，失败代码请截图。",
        "Windows 更新安装失败：重启电脑后再次检查更新，如仍失败请截图错误代码报障。\n\n"
        "If Windows Update fails to install, restart and check for updates again; report the error code.",
        "更新, Windows",
        "public",
    ),
    "remote_desktop": (
        "远程桌面连接办公电脑 / Connect to your office PC with Remote Desktop",
        "先连 VPN，再用 mstsc 连接电脑名。",
        "在家访问办公室电脑：先连接 VPN，然后运行 mstsc 输入办公电脑的计算机名。\n\n"
        "From home, connect the VPN first, then open Remote Desktop (mstsc) and enter your PC's name.",
        "远程办公, remote desktop",
        "public",
    ),
    "crm_sync": (
        "CRM 客户数据不同步（内部处理步骤） / CRM data not syncing — desk procedure",
        "在管理后台重启同步任务。",
        "仅限服务台：CRM 与 ERP 的客户数据不同步时，在管理后台重启同步任务并记录任务编号。\n\n"
        "Desk only: when CRM customer data stops syncing with ERP, restart the sync job in the admin console.",
        "CRM, 内部",
        "internal",
    ),
}

# (query, expected article) — phrased as people type them, not copied from titles.
QUERIES: list[tuple[str, str]] = [
    ("VPN连不上", "vpn"),
    ("vpn authentication failed", "vpn"),
    ("忘记密码", "password_reset"),
    ("how do I reset my password", "password_reset"),
    ("打印机卡纸了怎么办", "printer_jam"),
    ("paper jammed", "printer_jam"),
    ("install printer driver", "printer_driver"),
    ("wifi 连不上", "wifi"),
    ("outlook 收不到邮件", "email_outlook"),
    ("mailbox full", "mailbox_full"),
    ("蓝屏", "bluescreen"),
    ("电脑很慢", "slow_pc"),
    ("投影仪没信号", "projector"),
    ("monitor not detected", "monitor"),
    ("共享盘访问不了", "shared_drive"),
    ("account locked", "account_locked"),
    ("两步验证", "mfa"),
    ("phishing email", "phishing"),
    ("中病毒了", "virus"),
    ("ERP 登录报错", "erp_login"),
    ("报销提交失败", "expense"),
    ("打卡失败", "attendance"),
    ("企业微信登录不了", "wechat_work"),
    ("申请安装软件", "software_install"),
    ("office activation", "office_activation"),
    ("excel crashes", "excel_crash"),
    ("开会没有声音", "meeting_audio"),
    ("笔记本不充电", "laptop_battery"),
    ("new employee account", "new_employee"),
    ("恢复删除的文件", "backup_restore"),
    ("ip conflict", "ip_conflict"),
    ("scan to email", "scanner"),
    ("证书过期", "cert_expired"),
    ("远程桌面", "remote_desktop"),
    ("desk phone no dial tone", "desk_phone"),
    ("上网很慢", "internet_slow"),
    ("键盘没反应", "keyboard"),
    ("pritner jam", "printer_jam"),  # a typo
    ("pasword", "password_reset"),  # a typo: the pg_trgm fallback
    ("windows update failed", "windows_update"),
]
