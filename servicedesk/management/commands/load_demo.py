"""`python manage.py load_demo`: a believable service desk to click through.

Departments, people in every role, support groups, the service catalogue, the priority matrix, a few knowledge
articles and a few hundred tickets in every state, spread over the last 60 days. Everything that has a service
is written through it, so ticket numbers, audit events and in-app notifications are the real ones. A fixed
random seed makes the desk the same on every machine, and a second run finds everything in place and changes
nothing. `--print-logins` only prints the demo logins (it does not touch the database).

Two things are done differently from a live desk, on purpose:

* The past is replayed. Each ticket's story (created, assigned, accepted, pending, resolved, closed ...) is a
  series of service calls, each made while `ReplayClock` makes `timezone.now()` answer that step's moment in
  the last 60 days. So every timestamp — created_at, event times, first response, resolution, and the SLA
  clocks with their business-time due dates and met/breached verdicts — is written by the services themselves
  and agrees with the rest; the SLA sweep runs every simulated evening as beat would have. Only the
  notifications, delivered after the commit (below), get their `created_at` moved back (one
  `bulk_update()`) to the time of the event or escalation they tell about.
* Notifications. Each ticket event schedules `notify_ticket_event_task` after commit. Queued on the demo's
  filesystem broker that would be a few thousand messages for the worker to chew through at start-up, printing
  a thousand emails to the console. Instead the command runs the tasks eagerly, in-process, right after its
  commit, with Django's dummy email backend: the in-app notifications are created by the real task code, no
  email goes anywhere (the demo addresses are fictional), and the broker stays empty.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from knowledge.models import Article
from servicedesk import services as people
from servicedesk.celery import app as celery_app
from servicedesk.models import Category, CustomerTier, Department, Notification, Role, SupportGroup, User
from sla import services as sla_services
from sla.models import Escalation
from tickets import followups
from tickets import services as tickets
from tickets.models import Comment, FollowUp, PriorityRule, Ticket, TicketEvent

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented in the README; every demo login shares it
SEED = 2026
DAYS = 60

S = Ticket.Status
T = Ticket.Type
C = Ticket.Channel

# --- people ----------------------------------------------------------------------------------------------

IT = "信息技术部 IT"
FINANCE = "财务部 Finance"
HR = "人力资源部 HR"
SALES = "销售部 Sales"
RND = "研发中心 R&D"
ADMIN_DEPT = "行政部 Administration"
MARKETING = "市场部 Marketing"
DEPARTMENTS = (FINANCE, HR, SALES, RND, ADMIN_DEPT, MARKETING, IT)


@dataclass(frozen=True)
class DemoUser:
    username: str
    chinese: str  # name in Chinese (blank for a foreign colleague)
    english: str  # name in English; the email address is made from it
    roles: tuple[str, ...]
    department: str
    phone: str
    about: str  # the role column of --print-logins
    tier: str = CustomerTier.STANDARD
    language: str = "zh-hans"
    superuser: bool = False

    @property
    def name(self) -> str:
        return f"{self.chinese} {self.english}".strip()

    @property
    def email(self) -> str:
        return self.english.lower().replace(" ", ".") + "@example.com"


TECH, END_USER, VIP = (Role.TECHNICIAN,), (Role.END_USER,), CustomerTier.VIP
# fmt: off
USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "王强", "Wang Qiang", (Role.ADMIN,), IT, "138 0013 8000", "administrator (superuser)",
             language="en", superuser=True),
    DemoUser("supervisor", "杨帆", "Yang Fan", (Role.SUPERVISOR,), IT, "138 0013 8001", "desk supervisor 主管"),
    DemoUser("agent", "李娜", "Li Na", (Role.AGENT,), IT, "138 0013 8002", "desk agent 服务台专员"),
    DemoUser("agent2", "张伟", "Zhang Wei", (Role.AGENT,), IT, "138 0013 8003", "desk agent 服务台专员"),
    DemoUser("callback", "陈静", "Chen Jing", (Role.CALLBACK_AGENT,), IT, "138 0013 8004", "callback agent 回访员"),
    DemoUser("tech1", "刘洋", "Liu Yang", TECH, IT, "138 0013 8005", "technician 技术员 (desktop lead)"),
    DemoUser("tech2", "赵磊", "Zhao Lei", TECH, IT, "138 0013 8006", "technician 技术员 (desktop, network)"),
    DemoUser("netops", "孙浩", "Sun Hao", TECH, IT, "138 0013 8007", "technician 技术员 (network lead)"),
    DemoUser("bizsys", "周敏", "Zhou Min", TECH, IT, "138 0013 8008", "technician 技术员 (business systems)"),
    DemoUser("iam", "吴婷", "Wu Ting", TECH, IT, "138 0013 8009", "technician 技术员 (accounts)"),
    DemoUser("incident", "郑刚", "Zheng Gang", (Role.INCIDENT_MANAGER,), IT, "138 0013 8010",
             "major-incident manager 故障管理员"),
    DemoUser("quality", "马丽", "Ma Li", (Role.QUALITY_ANALYST,), IT, "138 0013 8011", "quality analyst 质监员"),
    DemoUser("ceo", "高明", "Gao Ming", END_USER, ADMIN_DEPT, "139 1000 0001", "end user, VIP (general manager)",
             tier=VIP),
    DemoUser("user1", "钱伟", "Qian Wei", END_USER, FINANCE, "139 1000 1001", "end user, VIP (finance director)",
             tier=VIP),
    DemoUser("user2", "孙丽", "Sun Li", END_USER, FINANCE, "139 1000 1002", "end user 报障用户"),
    DemoUser("user3", "周杰", "Zhou Jie", END_USER, HR, "139 1000 1003", "end user 报障用户"),
    DemoUser("user4", "吴芳", "Wu Fang", END_USER, HR, "139 1000 1004", "end user 报障用户"),
    DemoUser("user5", "郑凯", "Zheng Kai", END_USER, SALES, "139 1000 1005", "end user 报障用户"),
    DemoUser("user6", "冯雪", "Feng Xue", END_USER, SALES, "139 1000 1006", "end user 报障用户"),
    DemoUser("user7", "陈晨", "Chen Chen", END_USER, RND, "139 1000 1007", "end user 报障用户"),
    DemoUser("user8", "", "Emily Carter", END_USER, RND, "139 1000 1008", "end user (English UI)", language="en"),
    DemoUser("user9", "何军", "He Jun", END_USER, ADMIN_DEPT, "139 1000 1009", "end user 报障用户"),
    DemoUser("user10", "林静", "Lin Jing", END_USER, MARKETING, "139 1000 1010", "end user 报障用户"),
)
# fmt: on
END_USERNAMES = tuple(u.username for u in USERS if u.roles == (Role.END_USER,))
DESK_AGENTS = ("agent", "agent2")

# --- support groups and the catalogue --------------------------------------------------------------------

SERVICE_DESK = "服务台 Service desk"
DESKTOP = "桌面支持 Desktop support"
NETWORK = "网络组 Network"
BUSINESS = "业务系统组 Business systems"
ACCOUNTS = "账号与权限 Accounts"

# name, members, lead, field team (works onsite orders)
GROUPS: tuple[tuple[str, tuple[str, ...], str, bool], ...] = (
    (SERVICE_DESK, ("agent", "agent2", "supervisor"), "supervisor", False),
    (DESKTOP, ("tech1", "tech2"), "tech1", True),
    (NETWORK, ("netops", "tech2"), "netops", False),
    (BUSINESS, ("bizsys", "tech1"), "bizsys", False),
    (ACCOUNTS, ("iam", "agent2"), "iam", False),
)

# root category, its default group, children (which route through the root's group)
CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("网络 Network", NETWORK, ("VPN", "Wi-Fi")),
    ("业务系统 Business systems", BUSINESS, ("CRM", "计费 Billing", "ERP")),
    ("硬件 Hardware", DESKTOP, ("笔记本 Laptop", "打印机 Printer")),
    ("软件 Software", DESKTOP, ("Office", "邮件 Email")),
    ("账号 Accounts", ACCOUNTS, ("密码重置 Password reset",)),
)

# The impact × urgency matrix written out (the same values as the services' fallback), so supervisors find
# it in the admin and can change it there.
PRIORITY_MATRIX = {(1, 1): 1, (1, 2): 2, (1, 3): 3, (2, 1): 2, (2, 2): 3, (2, 3): 4, (3, 1): 3, (3, 2): 4, (3, 3): 4}

# --- knowledge ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoArticle:
    category: str
    title: str
    body: str


ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        "VPN",
        "VPN 连接失败的排查步骤 / Troubleshooting VPN connection failures",
        "1. 确认网络正常，能打开外部网站。\n2. 检查客户端版本不低于 5.2。\n3. 提示“认证失败”时，先在门户重置"
        "VPN 证书。\n\n1. Check the internet connection works.\n2. The client must be version 5.2 or later.\n"
        "3. On “authentication failed”, renew the VPN certificate on the portal first.",
    ),
    DemoArticle(
        "Wi-Fi",
        "手机和笔记本连接 Corp-WiFi / Joining Corp-WiFi from a phone or laptop",
        "选择 Corp-WiFi，EAP 方法 PEAP，身份为域账号，证书选择“不验证”。\n\nChoose Corp-WiFi, EAP method PEAP, "
        "identity = your domain account, CA certificate “do not validate”.",
    ),
    DemoArticle(
        "打印机 Printer",
        "添加网络打印机 / Adding a network printer",
        "在资源管理器输入 \\\\print01，双击所在楼层的打印机即可自动安装驱动。\n\nType \\\\print01 in Explorer and "
        "double-click the printer of your floor; the driver installs itself.",
    ),
    DemoArticle(
        "邮件 Email",
        "Outlook 反复提示输入密码 / Outlook keeps asking for the password",
        "修改域密码后，打开“凭据管理器”，删除以 MicrosoftOffice 开头的条目，重启 Outlook。\n\nAfter a password "
        "change, open Credential Manager, remove the entries starting with MicrosoftOffice and restart Outlook.",
    ),
    DemoArticle(
        "密码重置 Password reset",
        "自助重置域密码与解锁账号 / Resetting your domain password and unlocking your account",
        "访问自助门户，使用手机验证码验证身份后即可重置；连续输错 5 次账号会锁定 15 分钟。\n\nUse the self-service "
        "portal and verify with an SMS code; five wrong passwords lock the account for 15 minutes.",
    ),
    DemoArticle(
        "Office",
        "找回未保存的 Office 文档 / Recovering an unsaved Office document",
        "文件 → 信息 → 管理文档 → 恢复未保存的文档。\n\nFile → Info → Manage Document → Recover Unsaved Documents.",
    ),
)

# --- ticket stories ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    category: str | None  # leaf category name; None: routed to the service desk
    type: str
    title: str
    description: str
    resolution: str
    impact: int = 3
    urgency: int = 3
    fcr: bool = False  # the desk can usually solve it on first contact
    scope: str = ""


STORIES: tuple[Story, ...] = (
    Story(
        "VPN",
        T.INCIDENT,
        "在家无法连接 VPN / Cannot connect to the VPN from home",
        "从昨晚开始在家连 VPN 一直提示“认证失败”，密码确认没有问题，在公司可以正常登录。\n\n"
        "Since last night the VPN client says “authentication failed” at home. The password is right; "
        "in the office I can log in normally.",
        "VPN 证书已过期，重新下发证书并指导用户导入，连接恢复。/ The VPN certificate had expired; issued a new one "
        "and walked the user through importing it. Connected again.",
        urgency=2,
        fcr=True,
    ),
    Story(
        "VPN",
        T.INCIDENT,
        "VPN 连接后几分钟就掉线 / VPN drops every few minutes",
        "连上 VPN 后大约每 5 分钟断一次，视频会议也很卡。\n\nThe VPN disconnects about every five minutes and "
        "video calls stutter.",
        "客户端版本过旧，升级到 5.2 后连续观察一天未再掉线。/ The client was outdated; after upgrading to 5.2 it "
        "stayed connected for a whole day.",
    ),
    Story(
        "VPN",
        T.REQUEST,
        "出差期间申请 VPN 权限 / VPN access for a business trip",
        "下周去{city}出差两周，需要开通 VPN 访问 ERP 和共享盘。\n\nTravelling to {city_en} for two weeks from next "
        "week; I need VPN access to the ERP and the shared drives.",
        "已开通 VPN 账号，有效期 30 天，并发送了使用说明。/ VPN access granted for 30 days; instructions sent.",
    ),
    Story(
        "Wi-Fi",
        T.INCIDENT,
        "{floor}会议室 Wi-Fi 信号很差 / Weak Wi-Fi in the {floor_en} meeting room",
        "{room} 会议室里笔记本经常搜不到 Corp-WiFi，开会只能用手机热点。\n\nIn meeting room {room} laptops often "
        "cannot see Corp-WiFi; we end up using phone hotspots.",
        "更换了故障的无线 AP，现场测速 200 Mbps。/ Replaced a faulty access point; 200 Mbps measured on site.",
        impact=2,
        scope="{floor}会议室 / {floor_en} meeting rooms",
    ),
    Story(
        "Wi-Fi",
        T.INCIDENT,
        "访客 Wi-Fi 打不开认证页面 / Guest Wi-Fi login page does not open",
        "下午有客户来访，访客网络连上后不弹认证页面，无法上网。\n\nVisitors this afternoon: the guest network "
        "connects but the login page never appears.",
        "认证服务器证书更新后恢复，已通知前台。/ Renewed the captive portal's certificate; reception informed.",
        impact=2,
        urgency=2,
    ),
    Story(
        "Wi-Fi",
        T.INQUIRY,
        "新手机怎么连公司 Wi-Fi / How do I connect my new phone to the office Wi-Fi?",
        "换了新手机，不知道 Corp-WiFi 怎么设置。\n\nI have a new phone and don't know how to set up Corp-WiFi.",
        "已电话指导用户用域账号登录 Corp-WiFi，参见知识库文章。/ Talked the user through joining Corp-WiFi with "
        "the domain account; see the knowledge article.",
        fcr=True,
    ),
    Story(
        "CRM",
        T.INCIDENT,
        "CRM 客户列表加载要一分钟 / CRM customer list takes a minute to load",
        "今天上午开始打开客户列表非常慢，整个销售部都一样。\n\nSince this morning the customer list is very slow "
        "to open, for the whole sales team.",
        "重建了客户表索引，加载时间恢复到 2 秒以内。/ Rebuilt the customer table's indexes; loads in under 2 s again.",
        impact=2,
        urgency=2,
        scope="销售部全员 / the whole sales department",
    ),
    Story(
        "CRM",
        T.REQUEST,
        "为新同事{newhire}开通 CRM 账号 / CRM account for new colleague {newhire_en}",
        "{newhire}下周一入职销售部，请开通 CRM 账号，权限同华东区销售。\n\n{newhire_en} joins sales on Monday; "
        "please create a CRM account with the East China sales role.",
        "账号已创建并分配华东区权限，初始密码已短信发送。/ Account created with the East China role; initial "
        "password sent by SMS.",
    ),
    Story(
        "CRM",
        T.INCIDENT,
        "CRM 导出 Excel 报错 / Exporting from CRM to Excel fails",
        "导出商机列表时提示“服务器内部错误”。\n\nExporting the opportunity list shows “internal server error”.",
        "导出行数超过上限，已调整上限并修复超时配置。/ The export hit the row limit; raised it and fixed the timeout.",
    ),
    Story(
        "计费 Billing",
        T.INCIDENT,
        "计费系统月结任务失败 / Billing month-end job failed",
        "月结批处理在凌晨 2 点报错退出，今天必须出账单。\n\nThe month-end batch failed at 2 a.m.; invoices "
        "must go out today.",
        "清理了锁表的会话后补跑月结，金额核对无误。/ Cleared the session holding the lock, re-ran the month-end "
        "job and reconciled the totals.",
        impact=1,
        urgency=1,
        scope="全公司账单 / all customer invoices",
    ),
    Story(
        "计费 Billing",
        T.INCIDENT,
        "发票金额打印成乱码 / Invoice amounts print as garbled characters",
        "打印增值税发票时金额一栏显示乱码。\n\nThe amount column prints as garbage on VAT invoices.",
        "打印模板字体缺失，已重新安装字体。/ The invoice template's font was missing; reinstalled it.",
        urgency=2,
    ),
    Story(
        "计费 Billing",
        T.REQUEST,
        "申请计费系统只读权限 / Read-only access to the billing system",
        "审计需要，申请计费系统只读权限一个月。\n\nFor the audit I need read-only access to billing for a month.",
        "经部门负责人审批，已开通只读权限 30 天。/ Approved by the department head; read-only access for 30 days.",
    ),
    Story(
        "ERP",
        T.INCIDENT,
        "ERP 无法提交报销单 / Cannot submit expense claims in the ERP",
        "点击“提交”后一直转圈，报销单停留在草稿状态。\n\n“Submit” spins forever and the claim stays a draft.",
        "审批流中离职人员节点未更新，已修正审批流。/ The approval flow still pointed at a leaver; fixed the flow.",
        impact=2,
        urgency=2,
    ),
    Story(
        "ERP",
        T.INCIDENT,
        "ERP 登录提示“许可证不足” / ERP login says “no licences available”",
        "早上 9 点后很多同事登录 ERP 都提示许可证不足。\n\nSince 9 a.m. many colleagues get “no licences "
        "available” when logging in to the ERP.",
        "释放了 30 个闲置会话许可证，并提交扩容申请。/ Freed 30 idle session licences and requested more.",
        impact=2,
        urgency=1,
        scope="多个部门 / several departments",
    ),
    Story(
        "ERP",
        T.REQUEST,
        "ERP 新增成本中心 {cc} / New cost centre {cc} in the ERP",
        "新项目组成立，需要在 ERP 中新增成本中心 {cc}。\n\nA new project team needs cost centre {cc} in the ERP.",
        "成本中心已创建并关联到研发中心。/ Cost centre created and attached to R&D.",
    ),
    Story(
        "笔记本 Laptop",
        T.INCIDENT,
        "笔记本无法开机（资产号 {asset}）/ Laptop {asset} will not power on",
        "按电源键没有任何反应，充电指示灯也不亮。\n\nNothing happens on the power button; the charging light "
        "stays off.",
        "主板电源模块故障，已更换备用机并迁移数据，原机送修。/ Power module failure; swapped in a spare, moved the "
        "data, the laptop went for repair.",
        urgency=2,
    ),
    Story(
        "笔记本 Laptop",
        T.INCIDENT,
        "笔记本运行很慢，风扇一直响 / Laptop is slow and the fan never stops",
        "开机要五分钟，打开 Excel 就卡死。\n\nBooting takes five minutes and Excel freezes the machine.",
        "清灰、更换硅脂，禁用多余启动项，开机时间降到 40 秒。/ Cleaned the fan, replaced thermal paste, removed "
        "start-up items; boots in 40 s now.",
    ),
    Story(
        "笔记本 Laptop",
        T.REQUEST,
        "新员工{newhire}笔记本领用 / Laptop for new starter {newhire_en}",
        "{newhire}下周一入职，请准备标准配置笔记本。\n\n{newhire_en} starts on Monday; please prepare a standard "
        "laptop.",
        "已按标准配置装机并交付，用户签字确认。/ Installed the standard image and handed it over; signed for.",
    ),
    Story(
        "笔记本 Laptop",
        T.INCIDENT,
        "笔记本屏幕闪烁 / Laptop screen flickers",
        "屏幕时不时闪烁并出现横纹，外接显示器正常。\n\nThe built-in screen flickers with horizontal lines; an "
        "external monitor is fine.",
        "屏线松动，重新插拔后恢复。/ The display cable was loose; reseated it.",
    ),
    Story(
        "打印机 Printer",
        T.INCIDENT,
        "{floor}打印机总是卡纸 / The printer on {floor_en} keeps jamming",
        "{floor}东侧打印机每打几页就卡纸。\n\nThe east printer on {floor_en} jams every few pages.",
        "更换搓纸轮，测试打印 50 页正常。/ Replaced the pickup roller; 50 test pages printed fine.",
        scope="{floor}同事 / everyone on {floor_en}",
    ),
    Story(
        "打印机 Printer",
        T.INCIDENT,
        "无法添加网络打印机 / Cannot add the network printer",
        "换了座位后找不到本楼层的打印机。\n\nAfter moving desks I cannot find this floor's printer.",
        "远程协助添加打印机并安装驱动，测试打印正常。/ Added the printer and its driver over remote assistance; "
        "test page printed.",
        fcr=True,
    ),
    Story(
        "打印机 Printer",
        T.INCIDENT,
        "彩色打印机打印发白 / Colour printer prints faded pages",
        "彩色打印颜色很淡，黑白正常。\n\nColour prints are very pale; black and white is fine.",
        "更换青色硒鼓并校准。/ Replaced the cyan toner and calibrated.",
    ),
    Story(
        "Office",
        T.INCIDENT,
        "Excel 打开大文件时崩溃 / Excel crashes when opening large files",
        "打开 50 MB 以上的报表 Excel 就闪退。\n\nExcel closes itself when opening reports over 50 MB.",
        "修复 Office 并禁用冲突的插件。/ Repaired Office and disabled a conflicting add-in.",
    ),
    Story(
        "Office",
        T.REQUEST,
        "申请安装 Visio / Please install Visio",
        "画流程图需要 Visio，部门经理已同意。\n\nI need Visio for process diagrams; my manager has approved.",
        "已分配许可证并远程安装。/ Licence assigned and installed remotely.",
    ),
    Story(
        "Office",
        T.INQUIRY,
        "Word 文档没保存怎么找回 / How do I recover an unsaved Word document?",
        "电脑突然重启，Word 文档还没保存。\n\nThe PC restarted and my Word document was not saved.",
        "指导用户从“恢复未保存的文档”找回文件。/ Showed the user “Recover Unsaved Documents”; file recovered.",
        fcr=True,
    ),
    Story(
        "邮件 Email",
        T.INCIDENT,
        "Outlook 一直提示输入密码 / Outlook keeps asking for my password",
        "改了域密码以后 Outlook 每隔几分钟就弹出密码框。\n\nSince I changed my domain password Outlook asks "
        "for it every few minutes.",
        "清除凭据管理器中的旧密码后恢复。/ Removed the old password from Credential Manager; fixed.",
        fcr=True,
    ),
    Story(
        "邮件 Email",
        T.INCIDENT,
        "邮箱已满，收不到新邮件 / Mailbox full, no new mail arriving",
        "客户说给我发的邮件被退回。\n\nCustomers say their mail to me bounces.",
        "归档旧邮件并将邮箱扩容到 10 GB。/ Archived old mail and raised the quota to 10 GB.",
        urgency=2,
    ),
    Story(
        "邮件 Email",
        T.REQUEST,
        "创建部门共享邮箱 / A shared mailbox for our department",
        "请创建共享邮箱 {mailbox}@example.com，成员为部门全体。\n\nPlease create the shared mailbox "
        "{mailbox}@example.com for the whole department.",
        "共享邮箱已创建，成员已添加。/ Shared mailbox created; members added.",
    ),
    Story(
        "密码重置 Password reset",
        T.REQUEST,
        "域账号被锁定，请解锁 / Domain account locked, please unlock",
        "密码输错几次后账号被锁，无法登录电脑。\n\nAfter a few wrong passwords my account is locked and I cannot "
        "log in.",
        "核实身份后已解锁并重置密码。/ Verified the caller's identity, unlocked the account and reset the password.",
        urgency=2,
        fcr=True,
    ),
    Story(
        "密码重置 Password reset",
        T.REQUEST,
        "忘记 ERP 密码 / Forgot my ERP password",
        "休假回来忘记 ERP 密码了。\n\nBack from leave and I forgot my ERP password.",
        "核实身份后重置密码，提醒用户首次登录修改。/ Identity verified, password reset; the user must change it at "
        "first login.",
        fcr=True,
    ),
    Story(
        None,
        T.COMPLAINT,
        "投诉：上门维修迟到两个小时 / Complaint: the onsite repair came two hours late",
        "约好上午 10 点上门，工程师 12 点才到，也没有提前通知。\n\nThe engineer was booked for 10 a.m., arrived "
        "at noon and nobody called ahead.",
        "已向用户致歉，调整现场派单规则，超时将自动提醒。/ Apologised to the user; onsite orders now warn "
        "before the agreed time passes.",
        urgency=2,
    ),
    Story(
        None,
        T.COMPLAINT,
        "投诉：同一问题报修三次仍未解决 / Complaint: same fault reported three times, still not fixed",
        "打印机的问题这个月已经报了三次，每次只是临时处理。\n\nI reported the printer three times this month and "
        "it only gets patched up.",
        "与桌面支持组复盘，已更换整机并加入巡检。/ Reviewed with desktop support; the printer was replaced and "
        "added to the inspection round.",
        urgency=2,
    ),
    Story(
        None,
        T.INQUIRY,
        "咨询：如何申请第二台显示器 / Inquiry: how do I request a second monitor?",
        "想申请一台外接显示器，流程是什么？\n\nI'd like an external monitor; what is the process?",
        "已告知在门户提交“硬件申请”，经理审批后三个工作日内发放。/ Told the user to file a hardware request on "
        "the portal; delivered within three working days of approval.",
        fcr=True,
    ),
    Story(
        None,
        T.INQUIRY,
        "咨询：服务台工作时间 / Inquiry: service desk opening hours",
        "晚上加班遇到问题可以找谁？\n\nWho can I call when I work late?",
        "工作日 9:00–12:00、13:30–18:00，紧急热线 7×24。/ Weekdays 9:00–12:00 and 13:30–18:00; the emergency "
        "line is 7×24.",
        fcr=True,
    ),
)

FILL = {
    "city": ("上海", "成都", "深圳", "武汉", "西安"),
    "floor": ("3楼", "5楼", "8楼", "12楼"),
    "room": ("A302", "B501", "C805", "A1203"),
    "newhire": ("黄磊", "许晴", "韩梅", "罗军"),
    "cc": ("CC-4102", "CC-4318", "CC-5006"),
    "asset": ("LT-2022-0137", "LT-2023-0412", "LT-2024-0088", "LT-2021-0913"),
    "mailbox": ("finance-ap", "hr-recruit", "sales-east", "marketing-events"),
}
FILL_EN = {
    "city": ("Shanghai", "Chengdu", "Shenzhen", "Wuhan", "Xi'an"),
    "floor": ("3F", "5F", "8F", "12F"),
    "newhire": ("Huang Lei", "Xu Qing", "Han Mei", "Luo Jun"),
}

REQUESTER_NOTES = (
    "我这边重启过电脑了，还是不行。/ I restarted the computer; no change.",
    "补充一下：同组的同事也有同样的问题。/ To add: colleagues in my team have the same problem.",
    "请尽快处理，下午要给客户演示。/ Please hurry, I have a customer demo this afternoon.",
    "今天我都在工位，随时可以过来。/ I'm at my desk all day, come any time.",
)
REQUESTER_ANSWERS = (
    "截图已经发到服务台邮箱了。/ I've sent the screenshot to the desk mailbox.",
    "明天上午 10 点以后都可以。/ Any time after 10 tomorrow morning works.",
    "部门经理已经邮件审批了。/ My manager has approved by email.",
)
DESK_REPLIES = (
    "您好，已收到您的报障，已转给{group}处理，工程师会尽快联系您。/ Hello, we have your report and passed it to "
    "{group}; an engineer will contact you shortly.",
    "已记录，处理进展会通过邮件通知您。/ Recorded; you will get progress updates by email.",
)
TECH_REPLIES = (
    "我大约 15 分钟后到您工位。/ I'll be at your desk in about 15 minutes.",
    "已远程连接您的电脑排查，请不要关机。/ I'm connected to your computer remotely, please leave it on.",
    "正在处理，预计今天下班前解决。/ Working on it; expect a fix before the end of the day.",
)
INTERNAL_NOTES = (
    "与上周同类问题相似，处理完可以整理成知识库文章。/ Same as last week's case; worth a knowledge article.",
    "已在 CMDB 中核对资产信息。/ Asset record checked in the CMDB.",
    "疑似与昨晚的变更有关，已问变更负责人。/ Possibly related to last night's change; asked its owner.",
    "用户设备较旧，建议纳入下季度更换计划。/ Old device; suggest replacing it next quarter.",
)
PENDING_REASONS = (
    "等待用户提供报错截图 / Waiting for a screenshot of the error",
    "等待用户确认上门时间 / Waiting for the user to confirm a time for the onsite visit",
    "等待部门负责人审批 / Waiting for the department head's approval",
    "等待用户试用新版本后反馈 / Waiting for the user to try the new version",
)
CALLBACK_NOTES = {  # by satisfaction
    5: (
        "用户确认问题已解决，对工程师态度很满意。/ Fix confirmed, very happy with the engineer.",
        "已恢复正常，感谢服务台。/ Working again, thanks to the desk.",
    ),
    4: ("已恢复正常，希望响应再快一些。/ Working again; would like a faster response.",),
    3: ("问题解决了，但等了比较久。/ Fixed, but it took a long time.",),
}
NO_ANSWER = "电话无人接听，明天再打。/ No answer; will call again tomorrow."
CANCEL_REASONS = (
    "用户已自行解决 / The user solved it themselves",
    "重复报障，已在其他工单处理 / Duplicate report, handled in another ticket",
    "用户撤回申请 / Request withdrawn by the user",
)
REOPEN_REASONS = (
    "问题又出现了 / The problem is back",
    "只解决了一部分，还有同事无法使用 / Only partly fixed; colleagues still cannot use it",
)

# Which statuses tickets of a given age (days) end in: recent work is still open, older work is closed.
STATUS_BY_AGE: tuple[tuple[float, dict[str, int]], ...] = (
    (3, {S.NEW: 30, S.ASSIGNED: 20, S.IN_PROGRESS: 25, S.PENDING: 10, S.RESOLVED: 12, S.CANCELLED: 3}),
    (8, {S.NEW: 6, S.ASSIGNED: 10, S.IN_PROGRESS: 20, S.PENDING: 14, S.RESOLVED: 35, S.CLOSED: 10, S.CANCELLED: 5}),
    (15, {S.NEW: 1, S.ASSIGNED: 3, S.IN_PROGRESS: 8, S.PENDING: 8, S.RESOLVED: 25, S.CLOSED: 50, S.CANCELLED: 5}),
    (DAYS + 1, {S.IN_PROGRESS: 2, S.PENDING: 2, S.RESOLVED: 6, S.CLOSED: 83, S.CANCELLED: 7}),
)
# Where a status is guaranteed to appear when the random draw missed it: the age band it is most typical of.
TYPICAL_AGE = {
    S.NEW: (0, 3),
    S.ASSIGNED: (0, 3),
    S.IN_PROGRESS: (0, 8),
    S.PENDING: (3, 8),
    S.RESOLVED: (3, 15),
    S.CLOSED: (8, DAYS),
    S.CANCELLED: (8, DAYS),
}
MAJOR_INCIDENT_CHILDREN = 5


@contextmanager
def notifications_inline() -> Iterator[None]:
    """Run Celery tasks in-process and send email nowhere, for the duration (see the module docstring)."""
    was_eager = celery_app.conf.task_always_eager
    trace_logger = logging.getLogger("celery.app.trace")  # one "Task ... succeeded" line per notification
    was_level = trace_logger.level
    celery_app.conf.task_always_eager = True
    trace_logger.setLevel(logging.WARNING)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            yield
    finally:
        celery_app.conf.task_always_eager = was_eager
        trace_logger.setLevel(was_level)


class ReplayClock:
    """While active, `django.utils.timezone.now()` answers the time of the step being replayed (or the real
    time while `at` is None).

    Every timestamp the services write comes from `timezone.now()`: auto_now(_add) columns, event `at`,
    first_response_at / resolved_at / closed_at, and the SLA clocks (start, pauses, due and warning times,
    met/breached verdicts, computed in business time). Replaying each step at its place in the past leaves a
    history that agrees with itself everywhere, which rewriting columns afterwards could not do for the SLA
    arithmetic. Django's own helpers (`localtime()`, auto_now) look `now` up in the module at call time, so
    replacing the module attribute reaches them too."""

    def __init__(self) -> None:
        self.at: datetime | None = None
        self._real_now = timezone.now

    def now(self) -> datetime:
        return self.at if self.at is not None else self._real_now()

    def __enter__(self) -> ReplayClock:
        timezone.now = self.now
        return self

    def __exit__(self, *exc: object) -> None:
        timezone.now = self._real_now
        self.at = None


class Timeline:
    """One ticket's story: each step runs at a later moment of the replay clock."""

    def __init__(self, rng: random.Random, clock: ReplayClock, *, start: datetime, limit: datetime) -> None:
        self.rng = rng
        self.clock = clock
        self.at = start
        self.limit = limit
        self.ticket: Ticket | None = None

    def later(self, low: float, high: float) -> datetime:
        """Advance by low..high minutes, never past `limit` (the stories of recent tickets get compressed)."""
        target = self.at + timedelta(minutes=self.rng.uniform(low, high))
        if target >= self.limit:
            target = self.at + (self.limit - self.at) * 0.3
        self.at = target
        return target

    def step(self, low: float, high: float, call: Callable[[], Any]) -> Any:
        self.clock.at = self.later(low, high)
        result = call()
        if isinstance(result, Ticket):
            self.ticket = result
        return result

    def finish(self) -> Ticket:
        assert self.ticket is not None
        return self.ticket


class Command(BaseCommand):
    help = (
        "Fill the database with a believable demo desk (idempotent; fixed random seed). "
        f"Every demo login uses the password {DEMO_PASSWORD!r}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=300, help="How many tickets to create (default 300).")
        parser.add_argument(
            "--print-logins", action="store_true", help="Only print the demo logins and their shared password."
        )

    def handle(self, *args: Any, tickets: int = 300, print_logins: bool = False, **options: Any) -> None:
        if print_logins:
            self.print_logins()
            return
        if tickets < 0:
            self.stderr.write("--tickets must be 0 or more.")
            return
        started = time.monotonic()
        with notifications_inline(), ReplayClock() as clock:
            seeder = Seeder(random.Random(SEED), clock)  # noqa: S311 - demo data, not secrets
            with transaction.atomic():
                # One transaction: the demo is all there or not at all, so "already loaded" is a simple check,
                # and SQLite writes one journal instead of thousands. The notification tasks run right after
                # the commit, at the real time.
                seeder.configuration()
                seeder.tickets(tickets)
                clock.at = None  # the commit, and the notification tasks after it, happen at the real time
            seeder.date_notifications()
        if not seeder.changed:
            self.stdout.write("Demo data already loaded: nothing changed.")
            return
        for line in seeder.report:
            self.stdout.write(f"  {line}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded in {time.monotonic() - started:.1f} s. Every demo login's password is "
                f"{DEMO_PASSWORD} (`python manage.py load_demo --print-logins` lists them)."
            )
        )

    def print_logins(self) -> None:
        rows = [("role", "username", "password", "name")]
        rows += [(u.about, u.username, DEMO_PASSWORD, u.name) for u in USERS]
        widths = [max(_width(r[i]) for r in rows) for i in range(4)]
        for n, row in enumerate(rows):
            self.stdout.write("  " + "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
            if n == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Seeder:
    def __init__(self, rng: random.Random, clock: ReplayClock) -> None:
        self.rng = rng
        self.clock = clock
        self.now = self.real_start = clock.now()
        self.report: list[str] = []
        self.changed = False
        self.users: dict[str, User] = {}
        self.groups: dict[str, SupportGroup] = {}
        self.members: dict[int, list[User]] = {}
        self.categories: dict[str, Category] = {}
        self.articles: dict[str, Article] = {}

    def note(self, what: str, created: int, total: int) -> None:
        if created:
            self.changed = True
            self.report.append(f"{what}: {created} created ({total} in the demo)")

    # --- configuration ----------------------------------------------------------------------------------

    def configuration(self) -> None:
        # The desk was set up a while before the tickets began.
        self.clock.at = self.now - timedelta(days=DAYS + 30)
        departments = {d.name: d for d in Department.objects.filter(name__in=DEPARTMENTS)}
        created = 0
        for name in DEPARTMENTS:
            if name not in departments:
                departments[name] = people.department_create(actor=None, name=name)
                created += 1
        self.note("Departments", created, len(DEPARTMENTS))

        existing = {u.username: u for u in User.objects.filter(username__in=[u.username for u in USERS])}
        new_usernames = []
        for spec in USERS:
            user = existing.get(spec.username)
            if user is None:
                user = people.user_create(
                    actor=None,
                    username=spec.username,
                    password=None,  # set below, for all of them at once
                    email=spec.email,
                    phone=spec.phone,
                    display_name=spec.name,
                    roles=spec.roles,
                    customer_tier=spec.tier,
                    department=departments[spec.department],
                    language=spec.language,
                )
                new_usernames.append(spec.username)
            self.users[spec.username] = user
        if new_usernames:
            # Password hashing is slow on purpose (about half a second each): the demo accounts share one hash of
            # the one documented password instead of hashing it two dozen times.
            User.objects.filter(username__in=new_usernames).update(password=make_password(DEMO_PASSWORD))
            # No service makes superusers (that is `createsuperuser`'s job); the demo admin is one so the whole
            # Django admin is open to it.
            superusers = [u.username for u in USERS if u.superuser and u.username in new_usernames]
            User.objects.filter(username__in=superusers).update(is_superuser=True, is_staff=True)
        self.note("Users", len(new_usernames), len(USERS))

        groups = {g.name: g for g in SupportGroup.objects.filter(name__in=[g[0] for g in GROUPS])}
        created = 0
        for name, members, lead, field_team in GROUPS:
            if name not in groups:
                groups[name] = people.support_group_create(
                    actor=None,
                    name=name,
                    members=[self.users[m] for m in members],
                    lead=self.users[lead],
                    is_field_team=field_team,
                )
                created += 1
        self.groups = groups
        for group in groups.values():
            self.members[group.pk] = list(group.members.filter(is_active=True).order_by("pk"))
        self.note("Support groups", created, len(GROUPS))

        created = 0
        total = 0
        for root_name, group_name, children in CATEGORIES:
            total += 1 + len(children)
            root = Category.objects.filter(parent=None, name=root_name).first()
            if root is None:
                root = people.category_create(actor=None, name=root_name, default_group=groups[group_name])
                created += 1
            self.categories[root_name] = root
            for child_name in children:
                child = Category.objects.filter(parent=root, name=child_name).first()
                if child is None:
                    child = people.category_create(actor=None, name=child_name, parent=root)
                    created += 1
                self.categories[child_name] = child
        self.note("Categories", created, total)

        created = 0
        if not PriorityRule.objects.exists():
            # Only into an empty matrix: a supervisor's edits (or deliberately removed cells) are left alone.
            # Configuration without a service yet; the audit row says who (the system) set it.
            for (impact, urgency), priority in PRIORITY_MATRIX.items():
                rule = PriorityRule.objects.create(impact=impact, urgency=urgency, priority=priority)
                people.audit(None, "priority_rule_created", rule, {"priority": priority})
                created += 1
        self.note("Priority matrix cells", created, len(PRIORITY_MATRIX))

        # Knowledge has no services yet (its workflow lands with the knowledge issue): published articles are
        # written directly, as reviewed content would be.
        existing_articles = {a.title: a for a in Article.objects.filter(title__in=[a.title for a in ARTICLES])}
        created = 0
        for spec in ARTICLES:
            article = existing_articles.get(spec.title)
            if article is None:
                article = Article.objects.create(
                    title=spec.title,
                    body=spec.body,
                    category=self.categories[spec.category],
                    audience=Article.Audience.PUBLIC,
                    status=Article.Status.PUBLISHED,
                    author=self.users["agent"],
                )
                created += 1
            self.articles[spec.category] = article
        self.note("Knowledge articles", created, len(ARTICLES))

    # --- tickets ----------------------------------------------------------------------------------------

    def tickets(self, count: int) -> None:
        if Ticket.objects.filter(requester__username__in=END_USERNAMES).exists():
            return  # the demo's tickets are there (they are created in one transaction with the rest)
        major = count >= 30
        regular = count - (1 + MAJOR_INCIDENT_CHILDREN if major else 0)
        times = sorted(self.created_times(regular))
        statuses = [self.status_for(t) for t in times]
        self.guarantee_every_status(times, statuses)
        # Everything happens in time order: tickets (so their numbers grow with the dates), the major incident,
        # and the SLA sweep the beat would have run every evening (so warnings and breaches carry their day).
        plan: list[tuple[datetime, str]] = list(zip(times, statuses, strict=True))
        if major:
            plan.append((self.major_incident_time(), "major"))
        tz = ZoneInfo(settings.TIME_ZONE)
        today = self.now.astimezone(tz).date()
        for days_ago in range(DAYS, -1, -1):
            evening = datetime.combine(today - timedelta(days=days_ago), clock(18, 30), tzinfo=tz)
            if evening < self.now:
                plan.append((evening, "sweep"))
        plan.sort(key=lambda item: item[0])
        counts: Counter[str] = Counter()
        for at, what in plan:
            if what == "sweep":
                self.sla_sweep(at)
            elif what == "major":
                counts.update(ticket.status for ticket in self.major_incident(at))
            else:
                counts[self.ticket(what, at).status] += 1
        self.sla_sweep(None)  # and once more now, so the desk opens with its clocks up to date
        total = sum(counts.values())
        if total:
            self.changed = True
            by_status = ", ".join(f"{s} {counts[s]}" for s in S.values if counts[s])
            self.report.append(f"Tickets: {total} created over the last {DAYS} days ({by_status})")

    def sla_sweep(self, at: datetime | None) -> None:
        self.clock.at = at
        sla_services.sla_sweep(now=at)

    def created_times(self, count: int) -> list[datetime]:
        """Mostly office hours on working days, in the desk's time zone; none in the last 20 minutes."""
        tz = ZoneInfo(settings.TIME_ZONE)
        local_now = self.now.astimezone(tz)
        latest = self.now - timedelta(minutes=20)
        times: list[datetime] = []
        while len(times) < count:
            day = (local_now - timedelta(days=self.rng.randrange(DAYS))).date()
            if day.weekday() >= 5 and self.rng.random() < 0.8:
                continue  # weekends are quiet
            minute = self.rng.randint(8 * 60 + 30, 19 * 60)
            at = datetime.combine(day, clock(minute // 60, minute % 60, self.rng.randrange(60)), tzinfo=tz)
            if at <= latest:
                times.append(at)
        return times

    def age_days(self, at: datetime) -> float:
        return (self.now - at).total_seconds() / 86400

    def status_for(self, at: datetime) -> str:
        age = self.age_days(at)
        for limit, weights in STATUS_BY_AGE:
            if age < limit:
                return self.rng.choices(list(weights), weights=list(weights.values()))[0]
        return S.CLOSED

    def guarantee_every_status(self, times: list[datetime], statuses: list[str]) -> None:
        """Even a small demo (--tickets 40) shows every state: a missing one replaces a status that occurs more
        than once, preferably on a ticket of the age that state is typical of."""
        for status in S.values:
            if status in statuses:
                continue
            counts = Counter(statuses)
            spare = [i for i, s in enumerate(statuses) if counts[s] > 1]
            low, high = TYPICAL_AGE[status]
            candidates = [i for i in spare if low <= self.age_days(times[i]) < high] or spare
            if not candidates:
                return
            statuses[self.rng.choice(candidates)] = status

    def desk(self) -> User:
        return self.users[self.rng.choice(DESK_AGENTS)]

    def requester(self) -> User:
        # VIPs are few and report less often than everyone else.
        weights = [1 if self.users[name].customer_tier == CustomerTier.VIP else 3 for name in END_USERNAMES]
        return self.users[self.rng.choices(END_USERNAMES, weights=weights)[0]]

    def fill(self, text: str, values: dict[str, str]) -> str:
        return text.format(**values)

    def story_values(self) -> dict[str, str]:
        values = {}
        for key, options in FILL.items():
            i = self.rng.randrange(len(options))
            values[key] = options[i]
            values[f"{key}_en"] = FILL_EN.get(key, options)[i]
        return values

    def ticket(self, status: str, created_at: datetime) -> Ticket:
        rng = self.rng
        # An inquiry is answered on the spot: it never waits in a technician's queue.
        dispatched = status in (S.ASSIGNED, S.IN_PROGRESS, S.PENDING)
        story = rng.choice([s for s in STORIES if not (dispatched and s.type == T.INQUIRY)])
        requester = self.requester()
        resolve_on_contact = status in (S.RESOLVED, S.CLOSED) and (
            story.type == T.INQUIRY or (story.fcr and rng.random() < 0.7)
        )
        if resolve_on_contact:
            channel = rng.choices([C.PHONE, C.WALK_IN, C.EMAIL], weights=[6, 2, 2])[0]
        else:
            channel = rng.choices([C.PORTAL, C.PHONE, C.EMAIL, C.WALK_IN], weights=[4, 3, 2, 1])[0]
        desk = self.desk()
        creator = requester if channel == C.PORTAL else desk
        values = self.story_values()
        urgency = story.urgency if rng.random() > 0.2 else max(1, story.urgency - 1)
        impact = story.impact if rng.random() > 0.15 else min(3, story.impact + 1)
        category = self.categories[story.category] if story.category else None
        data = tickets.TicketInput(
            type=story.type,
            title=self.fill(story.title, values),
            description=self.fill(story.description, values),
            channel=channel,
            impact=impact,
            urgency=urgency,
            requester=requester,
            category=category,
            started_at=created_at - timedelta(minutes=rng.randint(5, 600)) if story.type == T.INCIDENT else None,
            scope=self.fill(story.scope, values),
        )
        tl = Timeline(rng, self.clock, start=created_at, limit=self.now - timedelta(minutes=2))
        ticket = tl.step(0, 0, lambda: tickets.ticket_create(actor=creator, data=data))
        resolution = self.fill(story.resolution, values)
        article = self.articles.get(story.category or "")

        if status == S.NEW:
            if rng.random() < 0.3:
                self.comment(tl, requester, rng.choice(REQUESTER_NOTES), low=5, high=240)
            return tl.finish()

        if status == S.CANCELLED:
            if creator == requester and rng.random() < 0.5:
                tl.step(
                    10, 600, lambda: tickets.ticket_cancel(ticket=ticket, actor=requester, reason=CANCEL_REASONS[0])
                )
            else:
                if rng.random() < 0.4:
                    tl.step(5, 60, lambda: tickets.ticket_assign(ticket=ticket, actor=desk, group=self.route(story)))
                reason = rng.choice(CANCEL_REASONS)
                tl.step(10, 900, lambda: tickets.ticket_cancel(ticket=ticket, actor=desk, reason=reason))
            return tl.finish()

        if resolve_on_contact:
            use_article = article if article is not None and rng.random() < 0.7 else None
            tl.step(
                3,
                25,
                lambda: tickets.ticket_resolve(
                    ticket=ticket, actor=desk, resolution=resolution, first_contact=True, article=use_article
                ),
            )
            if status == S.CLOSED:
                self.close(tl, ticket, desk)
            return tl.finish()

        # Dispatched: to the category's group (complaints and uncategorised work stay with the desk).
        group = self.route(story)
        members = self.members[group.pk]
        if story.type == T.COMPLAINT:
            assignee: User | None = self.users["supervisor"]  # the responsible person handles complaints
        elif status == S.ASSIGNED and rng.random() < 0.4:
            assignee = None  # waiting in the group's queue for someone to take it
        else:
            assignee = rng.choice(members)
        auto = assignee is not None and story.type != T.COMPLAINT and rng.random() < 0.3
        ticket = tl.step(
            5,
            90,
            lambda: tickets.ticket_assign(
                ticket=ticket, actor=desk, group=group, assignee=None if auto else assignee, auto=auto
            ),
        )
        if rng.random() < 0.3:
            self.comment(tl, desk, rng.choice(DESK_REPLIES).format(group=group.name), low=1, high=10)
        if status == S.ASSIGNED:
            return tl.finish()

        worker = ticket.assignee or rng.choice(members)
        ticket = tl.step(10, 240, lambda: tickets.ticket_accept(ticket=ticket, actor=worker))
        if rng.random() < 0.4:
            self.comment(tl, worker, rng.choice(TECH_REPLIES), low=2, high=30)
        if rng.random() < 0.4:
            self.comment(tl, worker, rng.choice(INTERNAL_NOTES), low=10, high=120, internal=True)
        if status == S.IN_PROGRESS:
            return tl.finish()

        if status == S.PENDING or rng.random() < 0.2:
            reason = rng.choice(PENDING_REASONS)
            ticket = tl.step(30, 600, lambda: tickets.ticket_pend(ticket=ticket, actor=worker, reason=reason))
            if status == S.PENDING:
                return tl.finish()
            self.comment(tl, requester, rng.choice(REQUESTER_ANSWERS), low=60, high=1440)
            ticket = tl.step(5, 120, lambda: tickets.ticket_resume(ticket=ticket, actor=worker))

        ticket = tl.step(
            30,
            2880,
            lambda: tickets.ticket_resolve(
                ticket=ticket,
                actor=worker,
                resolution=resolution,
                article=article if article is not None and rng.random() < 0.3 else None,
            ),
        )
        if rng.random() < 0.08:
            reason = rng.choice(REOPEN_REASONS)
            ticket = tl.step(60, 2880, lambda: tickets.ticket_reopen(ticket=ticket, actor=requester, reason=reason))
            again = f"二次处理 / Second visit: {resolution}"
            ticket = tl.step(60, 1440, lambda: tickets.ticket_resolve(ticket=ticket, actor=worker, resolution=again))
        if status == S.CLOSED:
            self.close(tl, ticket, desk)
        return tl.finish()

    def route(self, story: Story) -> SupportGroup:
        if story.category is None:
            return self.groups[SERVICE_DESK]
        return self.categories[story.category].routing_group() or self.groups[SERVICE_DESK]

    def comment(
        self, tl: Timeline, author: User, body: str, *, low: float, high: float, internal: bool = False
    ) -> Comment:
        assert tl.ticket is not None
        ticket = tl.ticket
        return tl.step(
            low, high, lambda: tickets.comment_create(ticket=ticket, actor=author, body=body, internal=internal)
        )

    def close(self, tl: Timeline, ticket: Ticket, desk: User) -> Ticket:
        """The follow-up (回访): the callback agent calls the user, sometimes twice; the confirmed fix closes the
        ticket. A ticket the follow-up rules exempt is closed by the desk."""
        rng = self.rng
        followup = FollowUp.objects.filter(ticket_id=ticket.pk, state=FollowUp.State.DUE).first()
        if followup is None:
            return tl.step(10, 1440, lambda: tickets.ticket_close(ticket=ticket, actor=desk))
        agent = followup.assignee or self.users["callback"]
        if rng.random() < 0.2:
            tl.step(
                120,
                1440,
                lambda: followups.followup_record(followup=followup, actor=agent, reached=False, comment=NO_ANSWER),
            )
        satisfaction = rng.choices([5, 4, 3], weights=[6, 3, 1])[0]
        note = rng.choice(CALLBACK_NOTES[satisfaction])
        tl.step(
            240,
            2880,
            lambda: followups.followup_record(
                followup=followup,
                actor=agent,
                reached=True,
                satisfaction=satisfaction,
                fix_confirmed=True,
                comment=note,
            ),
        )
        ticket.refresh_from_db()  # closed by the follow-up
        tl.ticket = ticket
        return ticket

    # --- the major incident -----------------------------------------------------------------------------

    def major_incident_time(self) -> datetime:
        """A weekday morning about twelve days ago."""
        tz = ZoneInfo(settings.TIME_ZONE)
        day = (self.now.astimezone(tz) - timedelta(days=12)).date()
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        return datetime.combine(day, clock(9, 7), tzinfo=tz)

    def major_incident(self, at: datetime) -> list[Ticket]:
        """The VPN gateway fails: the incident manager declares it, the network team fixes it, the reports that
        pour in are linked to it and closed with it."""
        rng = self.rng
        u = self.users
        limit = self.now - timedelta(minutes=2)
        vpn = self.categories["VPN"]
        network = self.groups[NETWORK]
        parent_data = tickets.TicketInput(
            type=T.INCIDENT,
            title="重大故障：VPN 网关宕机，远程办公全部中断 / Major incident: VPN gateway down, no remote access",
            description="VPN 网关主节点 08:55 起无响应，备节点未能接管。影响所有远程办公用户。\n\nThe primary VPN "
            "gateway stopped answering at 08:55 and the standby did not take over. Every remote user is affected.",
            channel=C.PHONE,
            impact=1,
            urgency=1,
            requester=u["incident"],
            category=vpn,
            started_at=at - timedelta(minutes=12),
            scope="全体远程办公用户 / all remote users",
        )
        tl = Timeline(rng, self.clock, start=at, limit=limit)
        parent = tl.step(0, 0, lambda: tickets.ticket_create(actor=u["agent"], data=parent_data))
        parent = tl.step(
            2,
            4,
            lambda: tickets.ticket_assign(ticket=parent, actor=u["supervisor"], group=network, assignee=u["netops"]),
        )
        parent = tl.step(1, 3, lambda: tickets.ticket_accept(ticket=parent, actor=u["netops"]))
        self.comment(
            tl,
            u["incident"],
            "通报：VPN 网关故障，网络组正在处理，预计 10:30 前恢复。/ Notice: the VPN gateway has failed; the network "
            "team is on it, expected back before 10:30.",
            low=5,
            high=10,
        )
        self.comment(
            tl,
            u["netops"],
            "主节点电源模块故障，正在手工切换到备节点。/ Power module failure on the primary; switching to the "
            "standby by hand.",
            low=20,
            high=30,
            internal=True,
        )
        children_start = tl.at
        parent = tl.step(
            60,
            75,
            lambda: tickets.ticket_resolve(
                ticket=parent,
                actor=u["netops"],
                resolution="已切换到备节点并更换主节点电源模块，远程访问恢复。/ Failed over to the standby and "
                "replaced the primary's power module; remote access restored.",
            ),
        )
        resolved_at = tl.at
        self.comment(
            tl,
            u["incident"],
            "通报：VPN 已恢复，如仍无法连接请重启客户端后再报障。/ Notice: the VPN is back; if you still cannot "
            "connect, restart the client before reporting again.",
            low=2,
            high=5,
        )
        parent = self.close(tl, parent, u["agent"])
        done = [tl.finish()]

        reporters = rng.sample(END_USERNAMES, MAJOR_INCIDENT_CHILDREN)
        for n, username in enumerate(reporters):
            requester = u[username]
            start = children_start + timedelta(minutes=3 + 7 * n + rng.randint(0, 5))
            child = Timeline(rng, self.clock, start=start, limit=limit)
            channel = C.PORTAL if n % 2 else C.PHONE
            data = tickets.TicketInput(
                type=T.INCIDENT,
                title="VPN 连不上 / VPN will not connect",
                description="远程办公连不上 VPN，一直在“正在连接”。\n\nWorking from home, the VPN hangs on "
                "“connecting”.",
                channel=channel,
                impact=3,
                urgency=2,
                requester=requester,
                category=vpn,
            )
            creator = requester if channel == C.PORTAL else u["agent2"]
            ticket = child.step(
                0, 0, lambda creator=creator, data=data: tickets.ticket_create(actor=creator, data=data)
            )
            ticket = child.step(
                1, 5, lambda t=ticket: tickets.ticket_link_parent(ticket=t, actor=u["incident"], parent=parent)
            )
            child.at = max(child.at, resolved_at)
            ticket = child.step(
                3,
                20,
                lambda t=ticket: tickets.ticket_resolve(
                    ticket=t,
                    actor=u["agent"],
                    resolution=f"随重大故障 {parent.number} 一并恢复。/ Restored with major incident {parent.number}.",
                ),
            )
            self.close(child, ticket, u["agent"])
            done.append(child.finish())
        for ticket in done:
            ticket.refresh_from_db(fields=["status"])
        return done

    # --- after the commit -------------------------------------------------------------------------------

    @transaction.atomic
    def date_notifications(self) -> None:
        """The notification tasks ran at the commit, at the real time. Date each notification like the ticket
        event or SLA escalation it tells about (rewriting only that timestamp), and call the older ones read,
        so every inbox looks lived in."""
        notes = list(Notification.objects.filter(created_at__gte=self.real_start).only("pk", "key", "created_at"))
        if not notes:
            return
        keys = [note.key.partition(":") for note in notes]
        event_ids = [int(ref) for kind, _sep, ref in keys if kind == "ticket-event" and ref.isdigit()]
        clock_ids = [int(ref) for kind, _sep, ref in keys if kind.startswith("sla-") and ref.isdigit()]
        when: dict[str, datetime] = {
            f"ticket-event:{pk}": at for pk, at in TicketEvent.objects.filter(pk__in=event_ids).values_list("pk", "at")
        }
        for clock_id, level, at in Escalation.objects.filter(clock_id__in=clock_ids).values_list(
            "clock_id", "level", "at"
        ):
            when[f"sla-{level}:{clock_id}"] = at
        read_before = self.now - timedelta(days=3)
        dated = []
        for note in notes:
            at = when.get(note.key)
            if at is not None:
                note.created_at = at
                note.read_at = at + timedelta(hours=2) if at < read_before else None
                dated.append(note)
        Notification.objects.bulk_update(dated, ["created_at", "read_at"], batch_size=500)
