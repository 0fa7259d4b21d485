export interface OutboundMessage { title: string; markdown: string; text: string; link?: string; mentionMobiles?: string[]; mentionAll?: boolean }
export interface SendResult { ok: boolean; retryable: boolean; code?: string; detail: string; retryAfterMs?: number }
export interface Channel { readonly kind: 'wecom' | 'dingtalk' | 'feishu' | 'email' | 'webhook'; readonly name: string; send(m: OutboundMessage, signal?: AbortSignal): Promise<SendResult> }
