/**
 * SAMPLE DATA (样例数据): the fictional Qinglan County (青岚县), Zhejiang-like hills around
 * 30.0°N 119.85°E. None of these places or stations is real. generate.ts turns this table into
 * firmware-config/stations/st-001.yaml .. st-047.yaml.
 *
 * Layout for a "15-minute" network: the county town (城关镇) has 19 stations about 1 km apart,
 * so a rider is never more than a few minutes from one; each other township has 3-5 stations
 * around its market street, high-school, clinic and logistics yards, within 2 km of each other.
 */

export const COUNTY = { name: '青岚县', nameEn: 'Qinglan County' } as const;

export interface Township {
  /** Stable ASCII code (townships.yaml): role grants, API filters and metrics labels use it. */
  code: string;
  name: string;
  nameEn: string;
  /** Short form used in station names: 城关, 新塘 … */
  short: string;
  /** Centre of the built-up area, degrees WGS-84. */
  lat: number;
  lon: number;
  /** Stations are placed within this radius of the centre, in km. */
  radiusKm: number;
  /** The county town gets bigger stations. */
  town: boolean;
}

export const TOWNSHIPS: readonly Township[] = [
  {
    code: 'chengguan',
    name: '城关镇',
    nameEn: 'Chengguan',
    short: '城关',
    lat: 30.0,
    lon: 119.85,
    radiusKm: 3.2,
    town: true,
  },
  {
    code: 'xintang',
    name: '新塘镇',
    nameEn: 'Xintang',
    short: '新塘',
    lat: 30.062,
    lon: 119.936,
    radiusKm: 1.6,
    town: false,
  },
  {
    code: 'baisha',
    name: '白沙镇',
    nameEn: 'Baisha',
    short: '白沙',
    lat: 29.931,
    lon: 119.771,
    radiusKm: 1.6,
    town: false,
  },
  {
    code: 'shimen',
    name: '石门镇',
    nameEn: 'Shimen',
    short: '石门',
    lat: 30.128,
    lon: 119.792,
    radiusKm: 1.4,
    town: false,
  },
  {
    code: 'qingshan',
    name: '青山镇',
    nameEn: 'Qingshan',
    short: '青山',
    lat: 30.041,
    lon: 120.032,
    radiusKm: 1.4,
    town: false,
  },
  {
    code: 'xikou',
    name: '溪口镇',
    nameEn: 'Xikou',
    short: '溪口',
    lat: 30.162,
    lon: 119.958,
    radiusKm: 1.4,
    town: false,
  },
  {
    code: 'taoyuan',
    name: '桃源乡',
    nameEn: 'Taoyuan',
    short: '桃源',
    lat: 29.858,
    lon: 119.951,
    radiusKm: 1.2,
    town: false,
  },
  {
    code: 'changle',
    name: '长乐乡',
    nameEn: 'Changle',
    short: '长乐',
    lat: 29.879,
    lon: 119.676,
    radiusKm: 1.2,
    town: false,
  },
];

/** One station: its township, the place in its name, the street address and the English place name. */
export interface Place {
  township: string;
  place: string;
  address: string;
  placeEn: string;
}

const p = (township: string, place: string, address: string, placeEn: string): Place => ({
  township,
  place,
  address,
  placeEn,
});

/** In id order: st-001 is the first row. */
export const PLACES: readonly Place[] = [
  p('城关镇', '人民路', '人民路18号', 'Renmin Road'),
  p('城关镇', '县前街', '县前街56号', 'Xianqian Street'),
  p('城关镇', '汽车站', '城东路汽车客运站南侧', 'Bus Terminal'),
  p('城关镇', '火车站', '站前路1号站前广场东侧', 'Railway Square'),
  p('城关镇', '学府路', '学府路9号青岚中学西门', 'Xuefu Road'),
  p('城关镇', '中心菜场', '解放路132号', 'Central Market'),
  p('城关镇', '人民医院', '健康路1号县人民医院北门', 'People’s Hospital'),
  p('城关镇', '新城广场', '新城大道288号', 'Xincheng Plaza'),
  p('城关镇', '滨江公园', '滨江路66号', 'Riverside Park'),
  p('城关镇', '城南工业园', '城南工业园区兴业路7号', 'Chengnan Industrial Park'),
  p('城关镇', '东门', '东门街23号', 'Dongmen'),
  p('城关镇', '西山路', '西山路45号', 'Xishan Road'),
  p('城关镇', '北门', '北门路101号', 'Beimen'),
  p('城关镇', '南岚社区', '南岚路12号', 'Nanlan Community'),
  p('城关镇', '文化中心', '文化路3号', 'Cultural Centre'),
  p('城关镇', '城北物流园', '城北物流园区通达路18号', 'Chengbei Logistics Park'),
  p('城关镇', '体育馆', '体育路5号', 'Gymnasium'),
  p('城关镇', '政务中心', '市民路1号行政服务中心东侧', 'Government Service Centre'),
  p('城关镇', '锦绣路', '锦绣路77号', 'Jinxiu Road'),
  p('新塘镇', '镇政府', '新塘镇政府路2号', 'Town Hall'),
  p('新塘镇', '老街', '新塘老街48号', 'Old Street'),
  p('新塘镇', '工业区', '新塘工业区创业路11号', 'Industrial Zone'),
  p('新塘镇', '卫生院', '新塘镇卫生院东侧', 'Health Centre'),
  p('新塘镇', '高速口', '新塘高速出口服务区', 'Expressway Exit'),
  p('白沙镇', '镇中心', '白沙镇中心街16号', 'Town Centre'),
  p('白沙镇', '码头', '白沙码头路3号', 'Wharf'),
  p('白沙镇', '中学', '白沙中学南门', 'Middle School'),
  p('白沙镇', '菜场', '白沙农贸市场北侧', 'Market'),
  p('白沙镇', '大桥', '白沙大桥西桥头', 'Bridge'),
  p('石门镇', '镇中心', '石门镇石门街9号', 'Town Centre'),
  p('石门镇', '水库', '石门水库管理站旁', 'Reservoir'),
  p('石门镇', '工业区', '石门工业区兴石路5号', 'Industrial Zone'),
  p('石门镇', '客运站', '石门客运站西侧', 'Bus Terminal'),
  p('青山镇', '镇中心', '青山镇青山街31号', 'Town Centre'),
  p('青山镇', '商贸城', '青山商贸城2号门', 'Trade City'),
  p('青山镇', '卫生院', '青山镇卫生院南侧', 'Health Centre'),
  p('青山镇', '物流中心', '青山物流中心通港路6号', 'Logistics Centre'),
  p('溪口镇', '镇中心', '溪口镇溪口街12号', 'Town Centre'),
  p('溪口镇', '老街', '溪口老街口', 'Old Street'),
  p('溪口镇', '景区', '溪口景区游客中心旁', 'Scenic Area'),
  p('溪口镇', '车站', '溪口汽车站东侧', 'Bus Terminal'),
  p('桃源乡', '乡政府', '桃源乡政府路1号', 'Township Hall'),
  p('桃源乡', '村', '桃源村文化礼堂旁', 'Village'),
  p('桃源乡', '茶园', '桃源茶叶市场东侧', 'Tea Market'),
  p('长乐乡', '乡政府', '长乐乡长乐街8号', 'Township Hall'),
  p('长乐乡', '集市', '长乐集市广场', 'Market Square'),
  p('长乐乡', '村', '长乐村村委会旁', 'Village'),
];

/** Hot-water dispensers used at the sample stations (fictional models). */
export const DISPENSERS = [
  { model: '暖泉 NQ-K30', setpointC: 95 },
  { model: '暖泉 NQ-K60', setpointC: 95 },
  { model: '沸点 FD-20B', setpointC: 92 },
] as const;
