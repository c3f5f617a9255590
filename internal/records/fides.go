/*
Copyright 2026 The Amber Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package records

import (
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// The enums of fideslang's models (src/fideslang/models.py, release 3.1.2), spelled as
// fideslang spells them: a manifest with any other spelling fails its validation.
var (
	// fidesLegalBasis is LegalBasisForProcessingEnum (Art. 6(1)).
	fidesLegalBasis = map[gdprv1alpha1.LawfulBasis]string{
		gdprv1alpha1.BasisConsent:             "Consent",
		gdprv1alpha1.BasisContract:            "Contract",
		gdprv1alpha1.BasisLegalObligation:     "Legal obligations",
		gdprv1alpha1.BasisVitalInterests:      "Vital interests",
		gdprv1alpha1.BasisPublicTask:          "Public interest",
		gdprv1alpha1.BasisLegitimateInterests: "Legitimate interests",
	}
	// fidesSpecialCategoryBasis is SpecialCategoryLegalBasisEnum (Art. 9(2)).
	fidesSpecialCategoryBasis = map[gdprv1alpha1.SpecialCategoryCondition]string{
		gdprv1alpha1.ConditionExplicitConsent:               "Explicit consent",
		gdprv1alpha1.ConditionEmploymentAndSocialProtection: "Employment, social security and social protection",
		gdprv1alpha1.ConditionVitalInterests:                "Vital interests",
		gdprv1alpha1.ConditionNotForProfitBody:              "Not-for-profit bodies",
		gdprv1alpha1.ConditionMadePublicByDataSubject:       "Made public by the data subject",
		gdprv1alpha1.ConditionLegalClaims:                   "Legal claims or judicial acts",
		gdprv1alpha1.ConditionSubstantialPublicInterest:     "Reasons of substantial public interest (with a basis in law)",
		gdprv1alpha1.ConditionHealthOrSocialCare:            "Health or social care (with a basis in law)",
		gdprv1alpha1.ConditionPublicHealth:                  "Public health (with a basis in law)",
		gdprv1alpha1.ConditionArchivingResearchStatistics:   "Archiving, research and statistics (with a basis in law)",
	}
	// fidesTransferBasis is LegalBasisForTransfersEnum, which has no derogation: an Art. 49
	// derogation is "Other" there.
	fidesTransferBasis = map[gdprv1alpha1.TransferSafeguard]string{
		gdprv1alpha1.SafeguardAdequacyDecision:           "Adequacy Decision",
		gdprv1alpha1.SafeguardStandardContractualClauses: "SCCs",
		gdprv1alpha1.SafeguardBindingCorporateRules:      "BCRs",
		gdprv1alpha1.SafeguardDerogation:                 "Other",
	}
	// fidesResponsibility is DataResponsibilityTitle.
	fidesResponsibility = map[gdprv1alpha1.ProcessingRole]string{
		gdprv1alpha1.RoleController: "Controller",
		gdprv1alpha1.RoleProcessor:  "Processor",
	}
)

// fidesManifest is a fideslang manifest file of systems.
type fidesManifest struct {
	System []fidesSystem `yaml:"system"`
}

// fidesSystem is fideslang's System, with the fields Amber can fill.
type fidesSystem struct {
	FidesKey                   string             `yaml:"fides_key"`
	Name                       string             `yaml:"name"`
	Description                string             `yaml:"description"`
	SystemType                 string             `yaml:"system_type"`
	Responsibility             []string           `yaml:"responsibility,omitempty"`
	LegalName                  string             `yaml:"legal_name,omitempty"`
	DPO                        string             `yaml:"dpo,omitempty"`
	ProcessesPersonalData      *bool              `yaml:"processes_personal_data,omitempty"`
	DoesInternationalTransfers bool               `yaml:"does_international_transfers"`
	LegalBasisForTransfers     []string           `yaml:"legal_basis_for_transfers,omitempty"`
	DataSecurityPractices      string             `yaml:"data_security_practices"`
	PrivacyDeclarations        []fidesDeclaration `yaml:"privacy_declarations"`
	Meta                       fidesMeta          `yaml:"meta"`
}

// fidesDeclaration is fideslang's PrivacyDeclaration.
type fidesDeclaration struct {
	Name                    string   `yaml:"name"`
	DataUse                 string   `yaml:"data_use"`
	DataCategories          []string `yaml:"data_categories"`
	DataSubjects            []string `yaml:"data_subjects"`
	LegalBasisForProcessing string   `yaml:"legal_basis_for_processing"`
	// FlexibleLegalBasis is false: the record declares one basis per purpose, which a
	// privacy notice does not get to override.
	FlexibleLegalBasis           bool   `yaml:"flexible_legal_basis_for_processing"`
	RetentionPeriod              string `yaml:"retention_period"`
	ProcessesSpecialCategoryData bool   `yaml:"processes_special_category_data"`
	SpecialCategoryLegalBasis    string `yaml:"special_category_legal_basis,omitempty"`
	DataSharedWithThirdParties   bool   `yaml:"data_shared_with_third_parties"`
	ThirdParties                 string `yaml:"third_parties,omitempty"`
}

// fidesMeta is the system's free-form meta: what Art. 30 asks for that fideslang has no
// field for, and Amber's evidence.
type fidesMeta struct {
	Amber fidesAmber `yaml:"amber"`
}

type fidesAmber struct {
	Namespace             string               `yaml:"namespace"`
	Workload              string               `yaml:"workload"`
	Controller            string               `yaml:"controller,omitempty"`
	Representative        string               `yaml:"representative,omitempty"`
	ThirdCountryTransfers []fidesTransfer      `yaml:"thirdCountryTransfers,omitempty"`
	Purposes              []fidesPurpose       `yaml:"purposes,omitempty"`
	LastReviewed          *gdprv1alpha1.Review `yaml:"lastReviewed,omitempty"`
	Evidence              fidesEvidence        `yaml:"evidence"`
	Findings              []string             `yaml:"findings"`
}

type fidesTransfer struct {
	Country   string `yaml:"country"`
	Recipient string `yaml:"recipient"`
	Safeguard string `yaml:"safeguard,omitempty"`
}

// fidesPurpose keeps what a privacy declaration has no field for.
type fidesPurpose struct {
	Name               string   `yaml:"name"`
	Description        string   `yaml:"description"`
	LegitimateInterest string   `yaml:"legitimateInterest,omitempty"`
	SpecialCategories  []string `yaml:"specialCategories,omitempty"`
	Source             string   `yaml:"source,omitempty"`
	Recipients         []string `yaml:"recipients,omitempty"`
}

type fidesEvidence struct {
	Window         string   `yaml:"window"`
	PinnedImages   []string `yaml:"pinnedImages"`
	Hardening      string   `yaml:"hardening"`
	AllowedRegions []string `yaml:"allowedRegions"`
	RegionsUsed    []string `yaml:"regionsUsed"`
	DriftPolicy    string   `yaml:"driftPolicy"`
	DriftFound     int      `yaml:"driftFound"`
	LedgerHead     int64    `yaml:"ledgerHead"`
	LedgerVerified string   `yaml:"ledgerVerified"`
}

// FidesKey is the fides_key of a workload's system: namespace and name joined by a dot,
// since fideslang keys allow letters, digits and "_.<>-" but no "/".
func FidesKey(namespace, name string) string { return namespace + "." + name }

// Fides writes the record as a fideslang manifest: one system per workload, with one
// privacy declaration per purpose, sorted by name as fideslang sorts them.
func Fides(w io.Writer, r Record) error {
	m := fidesManifest{System: make([]fidesSystem, 0, len(r.Systems))}
	for _, s := range r.Systems {
		m.System = append(m.System, fidesSystemOf(r, s))
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return err
	}
	return enc.Close()
}

func fidesSystemOf(r Record, s System) fidesSystem {
	ms := s.Measures
	fs := fidesSystem{
		FidesKey:    FidesKey(s.Namespace, s.Name),
		Name:        s.Namespace + "/" + s.Name,
		Description: "The pods of GDPRWorkload " + s.Name + " in namespace " + s.Namespace + ", run by Amber.",
		SystemType:  "Service",
		DataSecurityPractices: strings.Join([]string{
			"Images pinned to digests: " + ms.imagesText() + ".",
			"Hardening profile " + ms.hardeningText() + ".",
			"Pods may run in: " + ms.allowedText() + ".",
			"Drift policy " + string(ms.Drift.Policy) + ".",
			"Every action recorded in a hash-chained, signed audit ledger.",
		}, " "),
		PrivacyDeclarations: []fidesDeclaration{},
		Meta: fidesMeta{Amber: fidesAmber{
			Namespace: s.Namespace,
			Workload:  s.Name,
			Evidence: fidesEvidence{
				Window:         r.Window,
				PinnedImages:   pinnedRefs(ms.PinnedImages),
				Hardening:      ms.hardeningText(),
				AllowedRegions: ms.Residency.AllowedRegions,
				RegionsUsed:    ms.Residency.RegionsUsed,
				DriftPolicy:    string(ms.Drift.Policy),
				DriftFound:     ms.Drift.Total(),
				LedgerHead:     ms.Ledger.Head,
				LedgerVerified: ms.verifiedText(),
			},
			Findings: findingLinesAll(s),
		}},
	}
	p := s.Processing
	if p == nil {
		return fs
	}
	yes := true
	fs.ProcessesPersonalData = &yes
	fs.Responsibility = []string{fidesResponsibility[p.Role]}
	if p.Role == gdprv1alpha1.RoleController {
		// legal_name is the business the system represents: the controller only when the
		// organisation is the controller; a processor's own name is not in the record.
		fs.LegalName = p.Controller.Name
	} else {
		fs.Meta.Amber.Controller = party(&p.Controller)
	}
	fs.Meta.Amber.Representative = party(p.Representative)
	fs.DPO = party(p.DataProtectionOfficer)
	for _, t := range p.ThirdCountryTransfers {
		fs.DoesInternationalTransfers = true
		if b, ok := fidesTransferBasis[t.Safeguard]; ok && !slices.Contains(fs.LegalBasisForTransfers, b) {
			fs.LegalBasisForTransfers = append(fs.LegalBasisForTransfers, b)
		}
		fs.Meta.Amber.ThirdCountryTransfers = append(fs.Meta.Amber.ThirdCountryTransfers, fidesTransfer{Country: t.Country, Recipient: t.Recipient, Safeguard: string(t.Safeguard)})
	}
	slices.Sort(fs.LegalBasisForTransfers)
	fs.Meta.Amber.LastReviewed = p.LastReviewed
	for _, purpose := range s.Purposes {
		recipients := sortedStrings(purpose.Recipients)
		fs.PrivacyDeclarations = append(fs.PrivacyDeclarations, fidesDeclaration{
			Name:                         purpose.Name,
			DataUse:                      purpose.Name,
			DataCategories:               sortedStrings(purpose.DataCategories),
			DataSubjects:                 sortedStrings(purpose.DataSubjects),
			LegalBasisForProcessing:      fidesLegalBasis[purpose.LawfulBasis],
			RetentionPeriod:              purpose.Retention,
			ProcessesSpecialCategoryData: len(purpose.SpecialCategories) > 0,
			SpecialCategoryLegalBasis:    fidesSpecialCategoryBasis[purpose.SpecialCategoryCondition],
			DataSharedWithThirdParties:   len(recipients) > 0,
			ThirdParties:                 strings.Join(recipients, ", "),
		})
		special := make([]string, len(purpose.SpecialCategories))
		for i, c := range purpose.SpecialCategories {
			special[i] = string(c)
		}
		fs.Meta.Amber.Purposes = append(fs.Meta.Amber.Purposes, fidesPurpose{
			Name: purpose.Name, Description: purpose.Description, LegitimateInterest: purpose.LegitimateInterest,
			SpecialCategories: sortedStrings(special), Source: purpose.Source, Recipients: recipients,
		})
	}
	return fs
}

func pinnedRefs(pins []PinnedImage) []string {
	out := make([]string, len(pins))
	for i, p := range pins {
		out[i] = p.Pinned
	}
	return out
}

// findingLinesAll are every finding of a workload, its own and its purposes'.
func findingLinesAll(s System) []string {
	lines := findingLines(s, nil)
	for i := range s.Purposes {
		p := s.Purposes[i]
		lines = append(lines, findingLines(System{}, &p)...)
	}
	if lines == nil {
		lines = []string{}
	}
	return lines
}
