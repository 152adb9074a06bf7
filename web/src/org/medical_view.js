// 科室与医生 (a hospital's departments and clinicians, kind hospital;
// medical/medical_routes.cc):
//   GET|POST /v1/orgs/{org}/medical/departments {name (1-64 bytes)} → 201;
//     a name the hospital has is 409 department_exists.
//   GET|POST …/medical/clinicians {name (1-64), title (1-32), department_id}
//     → 201; the department must be the hospital's.
import { h, field } from '../lib/dom.js'
import { showStatus } from '../lib/errors.js'
import { formatDateTime, onLangChange } from '../lib/i18n.js'
import { panel } from '../lib/panel.js'
import { nameProblem, orgPath } from './org_api.js'
import { formCard, offerChoices, onSubmit } from './forms.js'

export async function loadStaffing (ctx) {
  const [departments, clinicians] = await Promise.all([
    ctx.api.get(orgPath(ctx, 'medical', 'departments')),
    ctx.api.get(orgPath(ctx, 'medical', 'clinicians'))])
  return { departments: departments.departments ?? [], clinicians: clinicians.clinicians ?? [] }
}

// A clinician as the hospital's lists name them: 王建国 · 主任医师 · 内科.
export function clinicianLabel (clinician, departments) {
  const department = departments.find((d) => d.id === clinician.department_id)
  return [clinician.name, clinician.title, department?.name].filter(Boolean).join(' · ')
}

export function renderMedicalView (main, ctx) {
  const departments = panel('medical-departments')
  const clinicians = panel('medical-clinicians')
  const departmentForm = newDepartmentForm(ctx, () => reload())
  const clinicianForm = newClinicianForm(ctx, () => reload())
  const reload = () => {
    const staffing = loadStaffing(ctx)
    departments.fill(() => staffing, (data) => departmentList(data.departments), 'org.medical.departmentsEmpty')
    clinicians.fill(async () => {
      const data = await staffing
      clinicianForm.offer(data.departments)
      return data
    }, clinicianList, 'org.medical.cliniciansEmpty')
  }
  main.append(h('h2', { t: 'org.medical.title' }), h('p', { class: 'lead', t: 'org.medical.lead' }),
    h('section', { class: 'org-section', 'aria-labelledby': 'medical-departments-title' },
      h('h3', { id: 'medical-departments-title', t: 'org.medical.departments' }), departments.body, departmentForm),
    h('section', { class: 'org-section', 'aria-labelledby': 'medical-clinicians-title' },
      h('h3', { id: 'medical-clinicians-title', t: 'org.medical.clinicians' }), clinicians.body, clinicianForm.element))
  reload()
  return onLangChange(reload)
}

function departmentList (departments) {
  if (!departments.length) return null
  return h('ul', { class: 'org-list' }, departments.map((d) =>
    h('li', { class: 'org-list__item', testid: 'medical-department', dataset: { departmentId: d.id } }, h('span', { testid: 'medical-department-name' }, d.name))))
}

function clinicianList ({ clinicians, departments }) {
  if (!clinicians.length) return null
  const names = new Map(departments.map((d) => [d.id, d.name]))
  return h('ul', { class: 'cards' }, clinicians.map((c) => h('li', { class: 'card item', testid: 'medical-clinician', dataset: { clinicianId: c.id, departmentId: c.department_id } },
    h('h4', { class: 'item__title', testid: 'medical-clinician-name' }, c.name),
    h('dl', { class: 'facts' },
      h('dt', { t: 'org.medical.clinicianTitle' }), h('dd', { testid: 'medical-clinician-title' }, c.title),
      h('dt', { t: 'org.medical.department' }), h('dd', { testid: 'medical-clinician-department' }, names.get(c.department_id) ?? c.department_id),
      h('dt', { t: 'org.medical.since' }), h('dd', {}, formatDateTime(c.created_at))))))
}

function newDepartmentForm (ctx, onMade) {
  const name = field({ id: 'department-name-input', label: 'org.medical.departmentName', testid: 'department-name-input', autocomplete: 'off' })
  const card = formCard({ testid: 'department-form', title: 'org.medical.departmentAddTitle', rows: [name.row], submitLabel: 'org.medical.departmentAdd', submitTestid: 'department-submit', statusTestid: 'department-status' })
  onSubmit(card, {
    check: () => nameProblem(name.input.value.trim(), 64, 'org_department_name_missing', 'org_name_long_64'),
    send: async () => {
      const made = await ctx.api.post(orgPath(ctx, 'medical', 'departments'), { name: name.input.value.trim() })
      name.input.value = ''
      showStatus(card.status, 'org.medical.departmentAdded', { name: made.name })
      onMade()
    },
    scope: 'org.department'
  })
  return card.form
}

function newClinicianForm (ctx, onMade) {
  const name = field({ id: 'clinician-name-input', label: 'org.medical.clinicianName', testid: 'clinician-name-input', autocomplete: 'off' })
  const title = field({ id: 'clinician-title-input', label: 'org.medical.clinicianTitle', testid: 'clinician-title-input', autocomplete: 'off', 'aria-describedby': 'clinician-title-hint' })
  title.row.append(h('p', { class: 'hint', id: 'clinician-title-hint', t: 'org.medical.clinicianTitleHint' }))
  const department = field({ id: 'clinician-department-select', label: 'org.medical.department', testid: 'clinician-department-select', type: 'select' })
  const card = formCard({ testid: 'clinician-form', title: 'org.medical.clinicianAddTitle', rows: [department.row, name.row, title.row], submitLabel: 'org.medical.clinicianAdd', submitTestid: 'clinician-submit', statusTestid: 'clinician-status' })
  onSubmit(card, {
    check: () => {
      if (!department.input.value) return 'org_department_missing'
      return nameProblem(name.input.value.trim(), 64, 'org_clinician_name_missing', 'org_name_long_64') ??
        nameProblem(title.input.value.trim(), 32, 'org_clinician_title_missing', 'org_clinician_title_long')
    },
    send: async () => {
      const made = await ctx.api.post(orgPath(ctx, 'medical', 'clinicians'),
        { name: name.input.value.trim(), title: title.input.value.trim(), department_id: department.input.value })
      name.input.value = ''
      title.input.value = ''
      showStatus(card.status, 'org.medical.clinicianAdded', { name: made.name })
      onMade()
    },
    scope: 'org.clinician'
  })
  const offer = (departments) => offerChoices(department.input, 'org.medical.pickDepartment', departments.map((d) => ({ value: d.id, label: d.name })))
  return { element: card.form, offer }
}
