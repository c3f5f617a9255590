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

package v1alpha1

// This file holds the GDPR controls of a workload that are not about its pods' lifecycle:
// how its containers are locked down (hardening) and its entry in the record of processing
// activities (GDPR Art. 30). None of these fields holds data about data subjects: they
// describe the processing, never the people.

// HardeningProfile names a set of security settings every container of a workload's pods
// gets.
// +kubebuilder:validation:Enum=Immutable;Baseline
type HardeningProfile string

const (
	// HardeningImmutable locks a container down to what immutable infrastructure needs: a
	// read-only root filesystem, no privilege escalation, every capability dropped, a
	// non-root user, the runtime's default seccomp profile, no privileged mode, no host
	// namespaces, no hostPath volumes, and no service account token unless the template
	// asks for one.
	HardeningImmutable HardeningProfile = "Immutable"
	// HardeningBaseline keeps only the rules that stop a container from reaching its node:
	// no privileged mode, no host namespaces, no hostPath volumes.
	HardeningBaseline HardeningProfile = "Baseline"
)

// Hardening says how the containers of a workload's pods are locked down.
type Hardening struct {
	// profile is the set of security settings every container and init container gets.
	// Immutable (the default): read-only root filesystem, allowPrivilegeEscalation false,
	// capabilities drop ALL, runAsNonRoot, seccomp RuntimeDefault, not privileged, no host
	// network, PID or IPC namespace, no hostPath volume, and automountServiceAccountToken
	// false unless the template sets it. Baseline: not privileged, no host namespaces, no
	// hostPath volume. Settings the template leaves unset are filled in on each pod, not in
	// the workload; settings it makes are kept. A template that contradicts its profile is
	// refused, naming the field: under Immutable also runAsUser 0, seccomp Unconfined, and
	// any added capability but NET_BIND_SERVICE. Changing the profile rolls the pods out
	// to a new revision, and the ledger records the change (reason HardeningChanged).
	// +kubebuilder:default=Immutable
	// +optional
	Profile HardeningProfile `json:"profile,omitempty"`
}

// ProcessingRole is whether the organisation running the workload decides the purposes of
// the processing (a controller, GDPR Art. 30(1)) or processes on a controller's behalf (a
// processor, Art. 30(2)).
// +kubebuilder:validation:Enum=Controller;Processor
type ProcessingRole string

const (
	// RoleController: the organisation decides why and how the data is processed (Art. 30(1)).
	RoleController ProcessingRole = "Controller"
	// RoleProcessor: the organisation processes on behalf of a controller (Art. 30(2)).
	RoleProcessor ProcessingRole = "Processor"
)

// LawfulBasis is one of the six lawful bases for processing of GDPR Art. 6(1).
// +kubebuilder:validation:Enum=Consent;Contract;LegalObligation;VitalInterests;PublicTask;LegitimateInterests
type LawfulBasis string

const (
	// BasisConsent: Art. 6(1)(a), the data subject consented.
	BasisConsent LawfulBasis = "Consent"
	// BasisContract: Art. 6(1)(b), needed for a contract with the data subject.
	BasisContract LawfulBasis = "Contract"
	// BasisLegalObligation: Art. 6(1)(c), needed to comply with a legal obligation.
	BasisLegalObligation LawfulBasis = "LegalObligation"
	// BasisVitalInterests: Art. 6(1)(d), needed to protect someone's vital interests.
	BasisVitalInterests LawfulBasis = "VitalInterests"
	// BasisPublicTask: Art. 6(1)(e), a task in the public interest or official authority.
	BasisPublicTask LawfulBasis = "PublicTask"
	// BasisLegitimateInterests: Art. 6(1)(f), the legitimate interests of the controller or a
	// third party; the purpose must name the interest.
	BasisLegitimateInterests LawfulBasis = "LegitimateInterests"
)

// SpecialCategory is one of the special categories of personal data of GDPR Art. 9(1).
// +kubebuilder:validation:Enum=RacialOrEthnicOrigin;PoliticalOpinions;ReligiousOrPhilosophicalBeliefs;TradeUnionMembership;Genetic;Biometric;Health;SexLifeOrOrientation
type SpecialCategory string

// The special categories of Art. 9(1), spelled as the API takes them.
const (
	SpecialRacialOrEthnicOrigin            SpecialCategory = "RacialOrEthnicOrigin"
	SpecialPoliticalOpinions               SpecialCategory = "PoliticalOpinions"
	SpecialReligiousOrPhilosophicalBeliefs SpecialCategory = "ReligiousOrPhilosophicalBeliefs"
	SpecialTradeUnionMembership            SpecialCategory = "TradeUnionMembership"
	SpecialGenetic                         SpecialCategory = "Genetic"
	SpecialBiometric                       SpecialCategory = "Biometric"
	SpecialHealth                          SpecialCategory = "Health"
	SpecialSexLifeOrOrientation            SpecialCategory = "SexLifeOrOrientation"
)

// SpecialCategoryCondition is the condition of GDPR Art. 9(2) under which special
// categories of personal data are processed.
// +kubebuilder:validation:Enum=ExplicitConsent;EmploymentAndSocialProtection;VitalInterests;NotForProfitBody;MadePublicByDataSubject;LegalClaims;SubstantialPublicInterest;HealthOrSocialCare;PublicHealth;ArchivingResearchStatistics
type SpecialCategoryCondition string

// The conditions of Art. 9(2), points (a) to (j), spelled as the API takes them.
const (
	ConditionExplicitConsent               SpecialCategoryCondition = "ExplicitConsent"               // Art. 9(2)(a)
	ConditionEmploymentAndSocialProtection SpecialCategoryCondition = "EmploymentAndSocialProtection" // Art. 9(2)(b)
	ConditionVitalInterests                SpecialCategoryCondition = "VitalInterests"                // Art. 9(2)(c)
	ConditionNotForProfitBody              SpecialCategoryCondition = "NotForProfitBody"              // Art. 9(2)(d)
	ConditionMadePublicByDataSubject       SpecialCategoryCondition = "MadePublicByDataSubject"       // Art. 9(2)(e)
	ConditionLegalClaims                   SpecialCategoryCondition = "LegalClaims"                   // Art. 9(2)(f)
	ConditionSubstantialPublicInterest     SpecialCategoryCondition = "SubstantialPublicInterest"     // Art. 9(2)(g)
	ConditionHealthOrSocialCare            SpecialCategoryCondition = "HealthOrSocialCare"            // Art. 9(2)(h)
	ConditionPublicHealth                  SpecialCategoryCondition = "PublicHealth"                  // Art. 9(2)(i)
	ConditionArchivingResearchStatistics   SpecialCategoryCondition = "ArchivingResearchStatistics"   // Art. 9(2)(j)
)

// TransferSafeguard is the legal ground for a transfer of personal data to a third country
// (GDPR Chapter V).
// +kubebuilder:validation:Enum=AdequacyDecision;StandardContractualClauses;BindingCorporateRules;Derogation
type TransferSafeguard string

const (
	// SafeguardAdequacyDecision: Art. 45, the Commission decided the country's protection is adequate.
	SafeguardAdequacyDecision TransferSafeguard = "AdequacyDecision"
	// SafeguardStandardContractualClauses: Art. 46(2)(c), the Commission's standard clauses.
	SafeguardStandardContractualClauses TransferSafeguard = "StandardContractualClauses"
	// SafeguardBindingCorporateRules: Art. 47, approved rules within a group of companies.
	SafeguardBindingCorporateRules TransferSafeguard = "BindingCorporateRules"
	// SafeguardDerogation: Art. 49, a derogation for a specific situation.
	SafeguardDerogation TransferSafeguard = "Derogation"
)

// Party is an organisation, or a role within one, named in the record of processing: never
// a person's own name or personal contact details.
type Party struct {
	// name is the organisation or role ("Example Payments GmbH", "Data Protection Office").
	// Not a person's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +required
	Name string `json:"name"`

	// contact is how to reach it: a role mailbox, a postal address or a web form
	// ("privacy@example.com"). Not a person's own address.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +required
	Contact string `json:"contact"`
}

// Purpose is one purpose of the processing, with what Art. 30(1)(b) to (f) asks about it.
// It maps onto one fideslang privacy declaration.
type Purpose struct {
	// name is the purpose as a fideslang data-use key ("essential.service.payment_processing",
	// "marketing.advertising"), or a custom key under one
	// ("essential.service.payment_processing.refunds"). Unique within the workload.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +required
	Name string `json:"name"`

	// description says in a sentence or two what the processing does for this purpose.
	// No data about data subjects.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Description string `json:"description"`

	// lawfulBasis is the lawful basis of Art. 6(1): Consent, Contract, LegalObligation,
	// VitalInterests, PublicTask or LegitimateInterests.
	// +required
	LawfulBasis LawfulBasis `json:"lawfulBasis"`

	// legitimateInterest names the interest pursued; required when lawfulBasis is
	// LegitimateInterests ("fraud prevention on card payments").
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	LegitimateInterest string `json:"legitimateInterest,omitempty"`

	// dataCategories are the categories of personal data processed, as fideslang data
	// categories ("user.financial.bank_account", "user.contact.email") or custom keys under
	// one. Categories, never the data itself.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=set
	// +required
	DataCategories []string `json:"dataCategories"`

	// dataSubjects are the categories of people the data is about, as fideslang data
	// subjects ("customer", "employee") or custom keys. Categories, never people.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=set
	// +required
	DataSubjects []string `json:"dataSubjects"`

	// specialCategories lists the special categories of Art. 9(1) processed, if any:
	// RacialOrEthnicOrigin, PoliticalOpinions, ReligiousOrPhilosophicalBeliefs,
	// TradeUnionMembership, Genetic, Biometric, Health, SexLifeOrOrientation. Listing any
	// requires specialCategoryCondition, spec.hardening.profile Immutable and
	// spec.residency.allowedRegions.
	// +kubebuilder:validation:MaxItems=8
	// +listType=set
	// +optional
	SpecialCategories []SpecialCategory `json:"specialCategories,omitempty"`

	// specialCategoryCondition is the condition of Art. 9(2) that allows processing the
	// special categories: ExplicitConsent, EmploymentAndSocialProtection, VitalInterests,
	// NotForProfitBody, MadePublicByDataSubject, LegalClaims, SubstantialPublicInterest,
	// HealthOrSocialCare, PublicHealth or ArchivingResearchStatistics.
	// +optional
	SpecialCategoryCondition SpecialCategoryCondition `json:"specialCategoryCondition,omitempty"`

	// retention is how long the data is kept (Art. 30(1)(f)): a duration ("P7Y", "90d",
	// "8760h"), or a sentence saying what ends it ("Deleted 30 days after the customer
	// closes the account."). "As per policy" is not an answer.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Retention string `json:"retention"`

	// source says where the data comes from ("collected from the data subject at checkout").
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Source string `json:"source,omitempty"`

	// recipients are the categories of recipients the data is disclosed to (Art. 30(1)(d)):
	// organisations or kinds of organisation ("card networks", "tax authority").
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=set
	// +optional
	Recipients []string `json:"recipients,omitempty"`
}

// ThirdCountryTransfer is a transfer of the workload's personal data to a country outside
// the EU/EEA or to an international organisation (Art. 30(1)(e)).
type ThirdCountryTransfer struct {
	// country is the destination as an ISO 3166-1 alpha-2 code ("US", "IN").
	// +kubebuilder:validation:Pattern=`^[A-Z]{2}$`
	// +required
	Country string `json:"country"`

	// recipient is the organisation receiving the data ("Example Support Inc.").
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +required
	Recipient string `json:"recipient"`

	// safeguard is the legal ground of the transfer: AdequacyDecision,
	// StandardContractualClauses, BindingCorporateRules or Derogation (Art. 49). Required
	// for a country outside the EU/EEA.
	// +optional
	Safeguard TransferSafeguard `json:"safeguard,omitempty"`
}

// Review records when the record of processing was last checked, and by whom.
type Review struct {
	// date is the day of the review (YYYY-MM-DD).
	// +kubebuilder:validation:Format=date
	// +required
	Date string `json:"date"`

	// by is the role or team that reviewed it ("Data Protection Office"), not a person's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +required
	By string `json:"by"`
}

// Processing is the workload's entry in the record of processing activities (GDPR Art. 30).
// It maps onto a fideslang system with one privacy declaration per purpose, and keeps what
// Art. 30 asks for that fideslang lacks (the role, the controller, transfers and their
// safeguards). `kubectl amber records` prints it with the measures Amber can prove beside
// it. It describes the processing, never the people: no field holds data about a data
// subject.
type Processing struct {
	// role is Controller when the organisation decides why and how the data is processed
	// (Art. 30(1)), Processor when it processes on a controller's behalf (Art. 30(2)).
	// +required
	Role ProcessingRole `json:"role"`

	// controller is the controller responsible: the organisation itself when role is
	// Controller, the one it acts for when role is Processor. An organisation and a role
	// contact, not a person.
	// +required
	Controller Party `json:"controller"`

	// representative is the controller's representative in the EU (Art. 27), when it has one.
	// +optional
	Representative *Party `json:"representative,omitempty"`

	// dataProtectionOfficer is the data protection officer's role contact
	// ("Data Protection Office", "dpo@example.com"), not a person's name.
	// +optional
	DataProtectionOfficer *Party `json:"dataProtectionOfficer,omitempty"`

	// purposes are the purposes of the processing, at least one.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	// +required
	Purposes []Purpose `json:"purposes"`

	// thirdCountryTransfers are the transfers of the data outside the EU/EEA, each with its
	// safeguard.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	ThirdCountryTransfers []ThirdCountryTransfer `json:"thirdCountryTransfers,omitempty"`

	// lastReviewed is when the record was last reviewed and by which role or team.
	// +optional
	LastReviewed *Review `json:"lastReviewed,omitempty"`
}
