import type { SourcingProfile } from '../domain/profile';
import type { DecisionRecord } from '../domain/sourcing';

/** A stored version of a profile: immutable content, a status that moves draft → active → retired. */
export type StoredProfile = SourcingProfile & {
  status: 'draft' | 'active' | 'retired';
  createdAt: string;
  activatedAt?: string;
};

export interface ProfileHead {
  latestVersion: number;
  activeVersion?: number;
}

/** What the profile use cases need from storage. */
export interface ProfileRepository {
  head(profileId: string): Promise<ProfileHead | undefined>;
  version(profileId: string, version: number): Promise<StoredProfile | undefined>;
  versions(profileId: string): Promise<StoredProfile[]>;
  /** Adds the next version; false when another writer added it first (`latestVersion` moved). */
  addVersion(profile: StoredProfile, expectedLatest: number): Promise<boolean>;
  /** Makes a draft the active version and retires the one before; false when the head moved. */
  activate(profileId: string, version: number, head: ProfileHead, now: string): Promise<boolean>;
  /** Routing decisions, newest first (the dry run replays them under another profile). */
  recentDecisions(limit: number): Promise<{ orderId: string; decision: DecisionRecord }[]>;
  putDecision(orderId: string, decision: DecisionRecord): Promise<void>;
}

export interface FulfillmentPorts {
  profiles: ProfileRepository;
  now(): string;
}
