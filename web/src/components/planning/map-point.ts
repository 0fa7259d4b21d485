import type { LatLon } from '../../map/gcj02';

/** Something the planning map draws as a labelled dot (WGS-84). */
export interface MapPoint extends LatLon {
  id: string;
  name: string;
}
