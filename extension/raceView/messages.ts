// The race view's messages, both ways, with their guards. Imported by the extension
// (panel.ts) and by the page (webview/views/raceView.ts).

import { isRecord } from '../webview/messages';
import type { RaceViewModel } from './model';

/** Host -> page: the race to show (the view's state). */
export interface ShowRaceMessage {
  type: 'race';
  race: RaceViewModel;
}
export type ToRaceView = ShowRaceMessage;

/** Page -> host: open the editor at a frame of the model, by the frame's id. */
export interface OpenFrameMessage {
  type: 'openFrame';
  frameId: string;
}
export type FromRaceView = OpenFrameMessage;

export function isToRaceView(v: unknown): v is ToRaceView {
  return isRecord(v) && v.type === 'race' && isRecord(v.race) && isRecord(v.race.current) && isRecord(v.race.previous);
}

export function isFromRaceView(v: unknown): v is FromRaceView {
  return isRecord(v) && v.type === 'openFrame' && typeof v.frameId === 'string' && v.frameId.length < 64;
}
