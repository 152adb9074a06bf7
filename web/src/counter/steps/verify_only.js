// Any scene: verify the code online (POST /v1/verify) and say the verdict.
import { h } from '../../lib/dom.js'

export async function verifyCode (ctx, code) {
  ctx.verdict.show('busy')
  try {
    const result = await ctx.api.post('/v1/verify', { code })
    ctx.verdict.show(result.valid ? 'valid' : 'refused', result.reason)
    return result
  } catch (error) {
    ctx.verdict.show('refused', error.code)
    return null
  }
}

export const verifyOnlyStep = {
  id: 'verify',
  matches: () => true,
  action: { label: 'scan.verify', testid: 'verify-code' },
  mount (container, ctx) {
    const out = h('div', { testid: 'verify-result' })
    container.append(out)
    return {
      async onCode (code) {
        const result = await verifyCode(ctx, code)
        out.replaceChildren()
        if (result?.valid) {
          out.append(h('dl', { class: 'facts' },
            h('dt', { t: 'verify.channel' }), h('dd', { t: `channel.${result.channel}` }),
            h('dt', { t: 'verify.category' }), h('dd', { t: `rider.${result.rider_category}` })))
        }
      }
    }
  }
}
