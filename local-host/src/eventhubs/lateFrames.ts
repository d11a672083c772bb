import type { Connection, Session } from "rhea";

type FrameHandler = (frame: { channel: number; performative: { handle?: number } }) => void;
type Patchable = Record<string, unknown>;

const wrap = (target: Patchable, name: string, guard: (next: FrameHandler) => FrameHandler): void => {
  const original = target[name];
  if (typeof original !== "function") return;
  const next = (original as FrameHandler).bind(target);
  target[name] = guard(next);
};

/**
 * rhea throws on a frame for a channel or link handle it has already forgotten (a disposition or flow that
 * crossed our end or detach on the wire), and a throw while reading ends the whole connection, taking every
 * other link of that client with it. Failure policy: such late frames refer to nothing that still exists,
 * so they are dropped; a flow keeps its session-level window update.
 */
export const tolerateLateFramesOnConnection = (connection: Connection): void => {
  const target = connection as unknown as Patchable & { remote_channel_map: Record<number, unknown> };
  for (const name of ["on_end", "on_detach", "on_transfer", "on_disposition", "on_flow"])
    wrap(target, name, (next) => (frame) => {
      if (target.remote_channel_map[frame.channel] !== undefined) next(frame);
    });
};

export const tolerateLateFramesOnSession = (session: Session): void => {
  const target = session as unknown as Patchable & { remote: { handles: Record<number, unknown> } };
  const known = (handle: number | undefined): boolean =>
    handle === undefined || target.remote.handles[handle] !== undefined;
  for (const name of ["on_detach", "on_transfer"])
    wrap(target, name, (next) => (frame) => {
      if (known(frame.performative.handle)) next(frame);
    });
  wrap(target, "on_flow", (next) => (frame) => {
    if (!known(frame.performative.handle)) frame.performative.handle = undefined;
    next(frame);
  });
};
