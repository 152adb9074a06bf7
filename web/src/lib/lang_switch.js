// The 中文 / English switch in the header of both pages.
import { h } from './dom.js'
import { currentLang, langSwitchLabel, onLangChange, setLang } from './i18n.js'

export function mountLangSwitch (slot) {
  const button = h('button', {
    type: 'button',
    class: 'lang-switch',
    testid: 'lang-switch',
    tAttrs: { title: 'lang.switch' },
    onclick: () => setLang(currentLang() === 'zh-CN' ? 'en' : 'zh-CN')
  })
  const update = () => {
    button.textContent = langSwitchLabel()
    button.lang = currentLang() === 'zh-CN' ? 'en' : 'zh-CN'
    button.dataset.lang = currentLang()
  }
  update()
  onLangChange(update)
  slot.replaceChildren(button)
}
