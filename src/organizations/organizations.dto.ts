import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { ORG_ROLES } from './organization.entity';
import type { OrgRole } from './organization.entity';
import type { SentInvitation } from './invitations.service';
import type { MemberOrganization, PendingInvitation } from './organizations.repository';
import type {
  AuthoredDocument,
  Member,
  MemberProfile,
  OrganizationDetails,
  OrganizationPolicy,
} from './organizations.service';
import { IsEmailAddress } from '../common/email-address';
import { IsPlainName } from '../common/display-name';

export class CreateOrganizationDto {
  @ApiProperty({
    example: 'Analytical Engines',
    minLength: 1,
    maxLength: 100,
    description: 'plain text: no web address, domain name, line break or control character',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @IsPlainName()
  name: string;
}

export class RenameOrganizationDto extends CreateOrganizationDto {}

export class OrganizationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ORG_ROLES, description: "the caller's role" }) role: OrgRole;

  static of(organization: MemberOrganization): OrganizationDto {
    return { id: organization.id, name: organization.name, role: organization.role };
  }
}

export class OrganizationDetailsDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ORG_ROLES, description: "the caller's role" }) role: OrgRole;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(organization: OrganizationDetails): OrganizationDetailsDto {
    return {
      id: organization.id,
      name: organization.name,
      role: organization.role,
      createdAt: organization.createdAt.toISOString(),
    };
  }
}

export class MemberProfileDto {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ type: String, nullable: true }) name: string | null;
  @ApiProperty({ format: 'email' }) email: string;
  @ApiProperty({ enum: ORG_ROLES }) role: OrgRole;
  @ApiProperty({ format: 'date-time' }) joinedAt: string;
  @ApiProperty({ description: 'the member has a second factor: an authenticator app (TOTP) or a passkey' })
  mfaEnabled: boolean;

  static of(member: MemberProfile): MemberProfileDto {
    return {
      userId: member.userId,
      name: member.name,
      email: member.email,
      role: member.role,
      joinedAt: member.joinedAt.toISOString(),
      mfaEnabled: member.mfaEnabled,
    };
  }
}

export class OrganizationPolicyDto {
  @ApiProperty({
    description: "members need a second factor, proved by their session (or the organization's own SSO)",
  })
  requireMfa: boolean;

  static of(policy: OrganizationPolicy): OrganizationPolicyDto {
    return { requireMfa: policy.requireMfa };
  }
}

export class SetOrganizationPolicyDto {
  @ApiProperty({
    example: true,
    description:
      "require a second factor (TOTP or a passkey) of every member on the organization's routes; the owner setting it needs one",
  })
  @IsBoolean()
  requireMfa: boolean;
}

export class InviteDto {
  @ApiProperty({
    example: 'charles@example.com',
    format: 'email',
    description: 'the address to invite, whether or not it has an account',
  })
  @IsEmailAddress()
  @MaxLength(320)
  email: string;

  @ApiProperty({ example: 'member', enum: ORG_ROLES, description: 'only an owner invites an owner' })
  @IsIn(ORG_ROLES)
  role: OrgRole;
}

/** An invitation as its sender sees it: never whether the address has an account. */
export class InvitationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'email' }) email: string;
  @ApiProperty({ enum: ORG_ROLES }) role: OrgRole;
  @ApiProperty({ format: 'date-time' }) expiresAt: string;

  static of(invitation: SentInvitation): InvitationDto {
    return {
      id: invitation.id,
      email: invitation.email,
      role: invitation.role,
      expiresAt: invitation.expiresAt.toISOString(),
    };
  }
}

/** A pending invitation, for the organization's owners and admins. */
export class PendingInvitationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'email' }) email: string;
  @ApiProperty({ enum: ORG_ROLES }) role: OrgRole;
  @ApiProperty({ format: 'date-time' }) expiresAt: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null once that account is deleted' })
  invitedBy: string | null;

  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(invitation: PendingInvitation): PendingInvitationDto {
    return {
      ...InvitationDto.of(invitation),
      invitedBy: invitation.invitedBy,
      createdAt: invitation.createdAt.toISOString(),
    };
  }
}

export class AcceptInvitationDto {
  @ApiProperty({
    example: 'pXc0RqB1hY5o3lL2m8VbK9sT4uW6zA7eF1gH2jI3kN0',
    description: 'the token from the invitation link',
  })
  @IsString()
  @MaxLength(256)
  token: string;
}

export class AcceptedInvitationDto {
  @ApiProperty({ format: 'uuid' }) orgId: string;
  @ApiProperty({ enum: ORG_ROLES }) role: OrgRole;

  static of(accepted: { orgId: string; role: OrgRole }): AcceptedInvitationDto {
    return { orgId: accepted.orgId, role: accepted.role };
  }
}

export class ChangeRoleDto {
  @ApiProperty({ example: 'admin', enum: ORG_ROLES })
  @IsIn(ORG_ROLES)
  role: OrgRole;
}

export class MemberDto {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ enum: ORG_ROLES }) role: OrgRole;

  static of(member: Member): MemberDto {
    return { userId: member.userId, role: member.role };
  }
}

export class CreateDocumentDto {
  @ApiProperty({ example: 'Notes on the engine', minLength: 1, maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title: string;

  @ApiProperty({ example: 'The engine weaves algebraic patterns.', maxLength: 50_000 })
  @IsString()
  @MaxLength(50_000)
  body: string;
}

export class DocumentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() title: string;
  @ApiProperty() body: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) authorId: string | null;
  @ApiProperty({ description: '"Deleted user" once the author is gone' }) authorName: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(document: AuthoredDocument): DocumentDto {
    return {
      id: document.id,
      title: document.title,
      body: document.body,
      authorId: document.authorId,
      authorName: document.authorName,
      createdAt: document.createdAt.toISOString(),
    };
  }
}
