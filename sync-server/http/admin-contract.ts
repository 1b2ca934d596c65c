// The admin API's answers as types, derived from the server's own routes (AdminApp). For code that cannot use
// `hc<AdminApp>` directly: the admin page's plain-JS modules import these in JSDoc (`@ts-check`), so a field
// renamed on the server fails `npm run typecheck` there too. Nothing here exists at run time.
import type { hc, InferRequestType, InferResponseType } from 'hono/client';
import type { AdminApp } from './app.js';

type Admin = ReturnType<typeof hc<AdminApp>>;

export type PassList = InferResponseType<Admin['passes']['$get'], 200>;
export type PassRecord = PassList['passes'][number];
export type IssuedPass = InferResponseType<Admin['passes']['$post'], 201>;
export type IssuePassBody = InferRequestType<Admin['passes']['$post']>['json'];
export type RecolouredPass = InferResponseType<Admin['passes'][':passId']['colour']['$post'], 201>;
export type PassText = InferResponseType<Admin['passes'][':passId']['text']['$get'], 200>;
export type DeviceList = InferResponseType<Admin['devices']['$get'], 200>;
export type DeviceRecord = DeviceList['devices'][number];
export type RolledToken = InferResponseType<Admin['devices'][':id']['roll']['$post'], 200>;
export type EnrolmentList = InferResponseType<Admin['enrolments']['$get'], 200>;
export type EnrolmentRecord = EnrolmentList['enrolments'][number];
export type NewEnrolment = InferResponseType<Admin['enrolments']['$post'], 201>;
export type Policy = InferResponseType<Admin['policy']['$get'], 200>;
export type PolicyBody = InferRequestType<Admin['policy']['$put']>['json'];
export type NewClaim = InferResponseType<Admin['claims']['$post'], 201>;
export type NewClaimBody = InferRequestType<Admin['claims']['$post']>['json'];
export type ClaimList = InferResponseType<Admin['claims']['$get'], 200>;
export type ClaimRecord = ClaimList['claims'][number];
export type RevokedClaim = InferResponseType<Admin['claims'][':id']['revoke']['$post'], 200>;
export type GateList = InferResponseType<Admin['gates']['$get'], 200>;
export type GateRecord = GateList['gates'][number];
export type RemoteResult = InferResponseType<Admin['gates']['open']['$post'], 200>;
export type AuditList = InferResponseType<Admin['audit']['$get'], 200>;
export type AuditEntry = AuditList['entries'][number];
export type AlarmList = InferResponseType<Admin['alarms']['$get'], 200>;
export type AlarmRecord = AlarmList['alarms'][number];
export type AcknowledgedAlarm = InferResponseType<Admin['alarms'][':id']['ack']['$post'], 200>;
export type WebhookList = InferResponseType<Admin['webhooks']['$get'], 200>;
export type WebhookRecord = WebhookList['webhooks'][number];
export type NewWebhook = InferResponseType<Admin['webhooks']['$post'], 201>;
export type NewWebhookBody = InferRequestType<Admin['webhooks']['$post']>['json'];
export type DeliveryList = InferResponseType<Admin['webhooks']['deliveries']['$get'], 200>;
export type DeliveryRecord = DeliveryList['deliveries'][number];
