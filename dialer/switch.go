package dialer

import (
	"context"
	"time"

	"github.com/agentswitch/agentswitch/esl"
)

// Switch is what the engine needs from FreeSWITCH. *esl.Client satisfies it;
// every value is validated there before it reaches a command.
type Switch interface {
	Originate(ctx context.Context, o esl.Originate, node string) (*esl.Call, error)
	Bridge(ctx context.Context, a, b string) error
	BridgeOut(ctx context.Context, b esl.BridgeOut) error
	HoldMusic(ctx context.Context, uuid string, on bool) error
	// Announce tells a waiting caller its place and/or estimated wait and
	// resumes the music (esl.AnnounceCmds).
	Announce(ctx context.Context, uuid string, a esl.Announcement) error
	Mute(ctx context.Context, uuid string, mute bool) error
	TransferToConference(ctx context.Context, uuid string, leg esl.TransferLeg, room, profile string) error
	Park(ctx context.Context, uuid string, leg esl.TransferLeg) error
	ConferenceMember(ctx context.Context, room string, action esl.ConferenceMemberAction, member int) error
	SendDTMF(ctx context.Context, uuid, digits string, duration time.Duration) error
	RecordStart(ctx context.Context, uuid, path string, limit time.Duration) error
	RecordStop(ctx context.Context, uuid, path string) error
	Broadcast(ctx context.Context, uuid, path string, leg esl.BroadcastLeg) error
	PlayAndHangup(ctx context.Context, uuid, file string) error
	SetVar(ctx context.Context, uuid, name, value string) error
	Kill(ctx context.Context, uuid, cause string) error
	Exists(ctx context.Context, uuid string) (bool, error)
	SetEavesdropMode(ctx context.Context, supervisorUUID string, mode esl.EavesdropMode) error
	// Up reports whether a node is connected to take a new call.
	Up() bool
}

var _ Switch = (*esl.Client)(nil)
