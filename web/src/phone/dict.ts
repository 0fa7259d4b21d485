/**
 * The phone page's words in both languages: a typed dictionary instead of vue-i18n, whose runtime
 * (about 20 KB gzipped) would be a fifth of the page's 100 KB budget for some 80 strings. The
 * `satisfies` makes a key missing in English a type error. Language: `?lang=en`, else what the
 * rider picked last (localStorage), else Chinese.
 */
import { ref } from 'vue';

const zh = {
  title: '附近驿站',
  appName: '暖新驿站',
  langSwitch: 'English',
  needAny: '全部',
  needSeat: '找座位',
  needSocket: '找充电',
  needWater: '找热水',
  locating: '正在获取你的位置…',
  fromHere: '按离你的距离排序',
  fromStation: '从你扫码的驿站算起',
  fromTownship: '{name}的驿站',
  noLocationInsecure: '此网址不是 HTTPS，浏览器不提供位置。请选择镇街：',
  noLocationDenied: '没有获得位置权限。请选择镇街：',
  noLocationTimeout: '暂时无法获取位置。请选择镇街：',
  noLocationUnsupported: '此浏览器不提供位置。请选择镇街：',
  pickTownship: '选择镇街',
  useLocation: '用我的位置',
  stations: '{n} 个驿站',
  none: '这里暂时没有驿站',
  loading: '正在加载…',
  loadFailed: '加载失败：{msg}',
  retry: '重试',
  network: '网络不通',
  updatedAgo: '{age}前更新',
  pageStale: '网络不通，{age}前的数据：空位数已隐藏，正在重试',
  live: '实时',
  stale: '暂停更新 · {age}前的数据',
  staleNoData: '暂停更新',
  offline: '离线',
  offlineAge: '离线 · 最后数据在{age}前',
  open: '开放中',
  closed: '已关闭',
  allDay: '24 小时开放',
  hours: '开放时间 {text}',
  seats: '空座位',
  ebike: '电动车充电口',
  phone: '手机充电口',
  sockets: '空插座',
  water: '热水',
  waterReady: '可接热水',
  waterNotReady: '加热中',
  total: '共 {n} 个',
  unknown: '—',
  hasIt: '有空位',
  navigate: '导航',
  amap: '高德地图',
  baidu: '百度地图',
  metres: '{n} 米',
  km: '{n} 公里',
  here: '就在这里',
  N: '北',
  NE: '东北',
  E: '东',
  SE: '东南',
  S: '南',
  SW: '西南',
  W: '西',
  NW: '西北',
  sec: '{n} 秒',
  min: '{n} 分钟',
  hour: '{n} 小时',
  day: '{n} 天',
  report: '随手拍 · 反映问题',
  back: '← 返回附近驿站',
  reportTitle: '随手拍 · 反映问题',
  category: '问题类别',
  station: '哪个驿站',
  stationPick: '请选择驿站',
  text: '问题描述',
  textHint: '发生了什么？在哪里？（最多 500 字）',
  photos: '照片（最多 3 张）',
  addPhoto: '添加照片',
  removePhoto: '删除',
  keepPhotoLocation: '保留照片里的拍摄位置',
  keepPhotoLocationHint: '默认不保留：照片会在手机上缩小，拍摄位置等信息会被去除。',
  location: '位置',
  locationHere: '使用我现在的位置（±{m} 米）',
  locationStation: '使用驿站的位置',
  locationNone: '没有位置：街面问题请选择驿站，或允许获取位置',
  contact: '联系方式（可选，仅处理此事的镇街工作人员可见）',
  contactName: '称呼',
  contactPhone: '电话',
  credit: '愿意在工会的表彰统计中署名',
  creditName: '署名',
  creditConsent: '勾选即同意工会在“随手拍”有效反映的统计和表彰中使用此署名；不勾选则匿名统计。',
  submit: '提交',
  sending: '正在提交…',
  uploading: '正在上传照片 {i}/{n}…',
  photoFailed: '照片 {i} 上传失败：{msg}',
  receiptTitle: '已收到你的反映',
  receiptHint: '请记下或截图保存回执号，用它查看处理进度。',
  receiptCode: '回执号',
  seeProgress: '查看进度',
  progressTitle: '处理进度',
  receiptLookup: '输入回执号查询',
  lookup: '查询',
  notFound: '没有找到这个回执号',
  handledBy: '处理方',
  workOrder: '驿站维修工单',
  gridMember: '网格员',
  department: '{name}',
  reason: '原因',
  photoCount: '{n} 张照片',
  submittedAt: '提交时间',
  needText: '请填写问题描述',
  needCategory: '请选择问题类别',
  needStation: '请选择驿站',
  needPlace: '街面问题需要位置：请允许获取位置或选择附近的驿站',
} as const;

type Key = keyof typeof zh;

const en = {
  title: 'Stations nearby',
  appName: 'Warm rest stations',
  langSwitch: '中文',
  needAny: 'All',
  needSeat: 'Seat',
  needSocket: 'Charging',
  needWater: 'Hot water',
  locating: 'Finding your location…',
  fromHere: 'Nearest to you first',
  fromStation: 'From the station whose code you scanned',
  fromTownship: 'Stations in {name}',
  noLocationInsecure: 'This address is not HTTPS, so the browser gives no location. Pick a township:',
  noLocationDenied: 'No permission for your location. Pick a township:',
  noLocationTimeout: 'Your location is not available now. Pick a township:',
  noLocationUnsupported: 'This browser gives no location. Pick a township:',
  pickTownship: 'Pick a township',
  useLocation: 'Use my location',
  stations: '{n} stations',
  none: 'No stations here yet',
  loading: 'Loading…',
  loadFailed: 'Could not load: {msg}',
  retry: 'Retry',
  network: 'No network',
  updatedAgo: 'updated {age} ago',
  pageStale: 'No network: data from {age} ago, free counts hidden; retrying',
  live: 'Live',
  stale: 'Not updating · data from {age} ago',
  staleNoData: 'Not updating',
  offline: 'Offline',
  offlineAge: 'Offline · last data {age} ago',
  open: 'Open',
  closed: 'Closed',
  allDay: 'Open 24 hours',
  hours: 'Hours {text}',
  seats: 'Free seats',
  ebike: 'E-bike sockets',
  phone: 'Phone sockets',
  sockets: 'Free sockets',
  water: 'Hot water',
  waterReady: 'Ready',
  waterNotReady: 'Heating',
  total: 'of {n}',
  unknown: '—',
  hasIt: 'Free now',
  navigate: 'Navigate',
  amap: 'AMap',
  baidu: 'Baidu Maps',
  metres: '{n} m',
  km: '{n} km',
  here: 'You are here',
  N: 'N',
  NE: 'NE',
  E: 'E',
  SE: 'SE',
  S: 'S',
  SW: 'SW',
  W: 'W',
  NW: 'NW',
  sec: '{n} s',
  min: '{n} min',
  hour: '{n} h',
  day: '{n} d',
  report: 'Report a problem',
  back: '← Back to stations',
  reportTitle: 'Report a problem',
  category: 'What kind of problem',
  station: 'Which station',
  stationPick: 'Pick a station',
  text: 'What happened',
  textHint: 'What is wrong, and where? (up to 500 characters)',
  photos: 'Photos (up to 3)',
  addPhoto: 'Add a photo',
  removePhoto: 'Remove',
  keepPhotoLocation: "Keep the photos' location",
  keepPhotoLocationHint:
    'Off by default: photos are made smaller on the phone and their location is removed.',
  location: 'Location',
  locationHere: 'My location now (±{m} m)',
  locationStation: "The station's location",
  locationNone: 'No location: for a street problem pick a station or allow your location',
  contact: 'Contact (optional, seen only by the township staff handling it)',
  contactName: 'Name',
  contactPhone: 'Phone',
  credit: "Name me in the union's recognition figures",
  creditName: 'Name to show',
  creditConsent:
    'Ticked: you agree that the union uses this name in its figures and recognition of valid reports. Unticked: counted anonymously.',
  submit: 'Send',
  sending: 'Sending…',
  uploading: 'Uploading photo {i} of {n}…',
  photoFailed: 'Photo {i} failed: {msg}',
  receiptTitle: 'Your report was received',
  receiptHint: 'Note or screenshot the receipt code to follow your report.',
  receiptCode: 'Receipt',
  seeProgress: 'See progress',
  progressTitle: 'Progress',
  receiptLookup: 'Enter a receipt code',
  lookup: 'Look up',
  notFound: 'No report with this receipt code',
  handledBy: 'Handled by',
  workOrder: 'Station repair order',
  gridMember: 'Grid member',
  department: '{name}',
  reason: 'Reason',
  photoCount: '{n} photos',
  submittedAt: 'Sent',
  needText: 'Please describe the problem',
  needCategory: 'Please pick a kind of problem',
  needStation: 'Please pick the station',
  needPlace: 'A street problem needs a place: allow your location or pick a station nearby',
} satisfies Record<Key, string>;

export type Lang = 'zh-CN' | 'en';
const LANG_KEY = 'yz-lang';

function firstLang(): Lang {
  const q = new URLSearchParams(location.search).get('lang');
  if (q === 'en' || q === 'zh-CN') return q;
  try {
    const kept = localStorage.getItem(LANG_KEY);
    if (kept === 'en' || kept === 'zh-CN') return kept;
  } catch {
    // Storage off (private mode in some browsers): Chinese, below.
  }
  // Chinese first, whatever the phone's language: the page is for the county's riders.
  return 'zh-CN';
}

export const lang = ref<Lang>(firstLang());
document.documentElement.lang = lang.value;

export function setLang(l: Lang): void {
  lang.value = l;
  document.documentElement.lang = l;
  try {
    localStorage.setItem(LANG_KEY, l);
  } catch {
    // Not kept: the choice lasts this visit.
  }
}

export function t(key: Key, params: Record<string, string | number> = {}): string {
  const s: string = (lang.value === 'en' ? en : zh)[key];
  return s.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? ''));
}

/** "45 秒" / "3 min": an age in seconds, in its largest whole unit. */
export function age(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t('sec', { n: s });
  if (s < 3600) return t('min', { n: Math.floor(s / 60) });
  if (s < 86400) return t('hour', { n: Math.floor(s / 3600) });
  return t('day', { n: Math.floor(s / 86400) });
}

/** "350 米" / "1.2 公里". */
export function distance(m: number): string {
  if (m < 1000) return t('metres', { n: Math.round(m / 10) * 10 });
  return t('km', { n: (m / 1000).toFixed(m < 10_000 ? 1 : 0) });
}
