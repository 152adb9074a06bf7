// Names of certificate types: the vault's registry names them in Chinese;
// the English names are in the dictionary under certType.<key>.
import { currentLang, has, t } from './i18n.js'

let registry = null // Map of type code and key -> {code, key, name}

export async function loadCertificateTypes (api) {
  if (registry) return registry
  const answer = await api.get('/v1/vault/certificate-types')
  registry = new Map()
  for (const type of answer.types ?? []) {
    registry.set(type.code, type)
    registry.set(type.key, type)
  }
  return registry
}

// A type's name in the page's language, given its code or key (and the
// server's name, if the caller has one).
export function typeName (codeOrKey, serverName) {
  const type = registry?.get(codeOrKey)
  const key = type?.key ?? codeOrKey
  if (currentLang() !== 'zh-CN' && has(`certType.${key}`)) return t(`certType.${key}`)
  return serverName || type?.name || (has(`certType.${key}`) ? t(`certType.${key}`) : codeOrKey)
}

// A type's key (visit_summary …) given its code or key; the code itself
// when the registry does not know it.
export function typeKey (codeOrKey) {
  return registry?.get(codeOrKey)?.key ?? codeOrKey
}

// A face field's label: the registry's (Chinese) label in zh-CN, else the
// field's key in words.
export function fieldLabel (codeOrKey, fieldKey) {
  const type = registry?.get(codeOrKey)
  const label = type?.fields?.find((f) => f.key === fieldKey)?.label
  if (currentLang() === 'zh-CN' && label) return label
  const words = fieldKey.replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}
